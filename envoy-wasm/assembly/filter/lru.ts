// A bounded least-recently-used map (string keys), O(1) get/set/evict.

class LruNode<T> {
  prev: LruNode<T> | null = null;
  next: LruNode<T> | null = null;
  constructor(public key: string, public value: T) {}
}

export class Lru<T> {
  private readonly nodes: Map<string, LruNode<T>> = new Map<string, LruNode<T>>();
  private head: LruNode<T> | null = null; // most recent
  private tail: LruNode<T> | null = null; // least recent

  constructor(public readonly capacity: i32) {}

  get size(): i32 {
    return this.nodes.size;
  }

  get(key: string): T | null {
    if (!this.nodes.has(key)) return null;
    const node = this.nodes.get(key);
    this.unlink(node);
    this.pushFront(node);
    return node.value;
  }

  /** Adds or replaces; past capacity the least recent entry goes. Returns the evicted key, or null. */
  set(key: string, value: T): string | null {
    if (this.nodes.has(key)) {
      const node = this.nodes.get(key);
      node.value = value;
      this.unlink(node);
      this.pushFront(node);
      return null;
    }
    const node = new LruNode<T>(key, value);
    this.nodes.set(key, node);
    this.pushFront(node);
    return this.nodes.size > this.capacity ? this.removeOldest() : null;
  }

  /** Drops the least recent entry; returns its key, or null when empty. */
  removeOldest(): string | null {
    const oldest = this.tail;
    if (oldest == null) return null;
    this.unlink(oldest);
    this.nodes.delete(oldest.key);
    return oldest.key;
  }

  delete(key: string): void {
    if (!this.nodes.has(key)) return;
    const node = this.nodes.get(key);
    this.unlink(node);
    this.nodes.delete(key);
  }

  private unlink(node: LruNode<T>): void {
    const prev = node.prev;
    const next = node.next;
    if (prev != null) prev.next = next; else this.head = next;
    if (next != null) next.prev = prev; else this.tail = prev;
    node.prev = null;
    node.next = null;
  }

  private pushFront(node: LruNode<T>): void {
    node.next = this.head;
    const head = this.head;
    if (head != null) head.prev = node;
    this.head = node;
    if (this.tail == null) this.tail = node;
  }
}
