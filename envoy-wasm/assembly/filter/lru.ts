// A bounded least-recently-used map (string keys), O(1) get/set/evict. Its own chained hash table rather than
// a Map: a lookup hashes the key once (Map needs has() then get(), two hashes of what can be a 1 KB token) and
// the hash reads eight bytes at a time. Chains are bounded by the capacity; keys compare whole, so a collision
// costs time, never a wrong answer.

class LruNode<T> {
  prev: LruNode<T> | null = null;
  next: LruNode<T> | null = null;
  /** Next node in the same bucket. */
  chain: LruNode<T> | null = null;
  constructor(public key: string, public hash: u32, public value: T) {}
}

/** Most buckets a table gets (one per entry up to there: chains stay short). */
const MAX_BUCKETS: i32 = 1 << 16;

export class Lru<T> {
  private readonly buckets: StaticArray<LruNode<T> | null>;
  private readonly mask: u32;
  private count: i32 = 0;
  private head: LruNode<T> | null = null; // most recent
  private tail: LruNode<T> | null = null; // least recent

  constructor(public readonly capacity: i32) {
    let buckets = 16;
    while (buckets < capacity && buckets < MAX_BUCKETS) buckets <<= 1;
    this.buckets = new StaticArray<LruNode<T> | null>(buckets);
    this.mask = <u32>(buckets - 1);
  }

  get size(): i32 {
    return this.count;
  }

  get(key: string): T | null {
    const node = this.find(key, hashKey(key));
    if (node == null) return null;
    this.touch(node);
    return node.value;
  }

  /** get(text.substring(start, end)) without making the substring. */
  getRange(text: string, start: i32, end: i32): T | null {
    if (start < 0 || end < start || end > text.length) return this.get(text.substring(start, end));
    const at = changetype<usize>(text) + (<usize>start << 1);
    const size = <usize>(end - start) << 1;
    const hash = hashBytes(at, size);
    let node = unchecked(this.buckets[<i32>(hash & this.mask)]);
    while (node != null) {
      const key = node.key;
      if (node.hash == hash && <usize>key.length << 1 == size && memory.compare(changetype<usize>(key), at, size) == 0) {
        this.touch(node);
        return node.value;
      }
      node = node.chain;
    }
    return null;
  }

  /** Adds or replaces; past capacity the least recent entry goes. Returns the evicted key, or null. */
  set(key: string, value: T): string | null {
    const hash = hashKey(key);
    const known = this.find(key, hash);
    if (known != null) {
      known.value = value;
      this.touch(known);
      return null;
    }
    const node = new LruNode<T>(key, hash, value);
    const at = <i32>(hash & this.mask);
    node.chain = unchecked(this.buckets[at]);
    unchecked(this.buckets[at] = node);
    this.count++;
    this.pushFront(node);
    return this.count > this.capacity ? this.removeOldest() : null;
  }

  /** The least recent entry's value, or null when empty. */
  oldest(): T | null {
    const tail = this.tail;
    return tail != null ? tail.value : null;
  }

  /** Drops the least recent entry; returns its key, or null when empty. */
  removeOldest(): string | null {
    const oldest = this.tail;
    if (oldest == null) return null;
    this.remove(oldest);
    return oldest.key;
  }

  delete(key: string): void {
    const node = this.find(key, hashKey(key));
    if (node != null) this.remove(node);
  }

  private find(key: string, hash: u32): LruNode<T> | null {
    let node = unchecked(this.buckets[<i32>(hash & this.mask)]);
    while (node != null) {
      if (node.hash == hash && node.key == key) return node;
      node = node.chain;
    }
    return null;
  }

  private remove(node: LruNode<T>): void {
    this.unlink(node);
    const at = <i32>(node.hash & this.mask);
    let current = unchecked(this.buckets[at]);
    if (current === node) {
      unchecked(this.buckets[at] = node.chain);
    } else {
      while (current != null) {
        const next = current.chain;
        if (next === node) {
          current.chain = node.chain;
          break;
        }
        current = next;
      }
    }
    node.chain = null;
    this.count--;
  }

  private touch(node: LruNode<T>): void {
    if (this.head === node) return;
    this.unlink(node);
    this.pushFront(node);
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

/** A 32-bit hash of a key's UTF-16 units, eight bytes per step (multiply-xorshift mixing). */
function hashKey(key: string): u32 {
  return hashBytes(changetype<usize>(key), <usize>key.length << 1);
}

function hashBytes(at: usize, size: usize): u32 {
  const words = size & ~<usize>7;
  let h: u64 = 0x9e3779b97f4a7c15 ^ <u64>size;
  for (let i: usize = 0; i < words; i += 8) {
    h = (h ^ load<u64>(at + i)) * 0xff51afd7ed558ccd;
    h ^= h >> 29;
  }
  for (let i = words; i < size; i += 2) {
    h = (h ^ <u64>load<u16>(at + i)) * 0xff51afd7ed558ccd;
    h ^= h >> 29;
  }
  h ^= h >> 32;
  h *= 0xc4ceb9fe1a85ec53;
  h ^= h >> 29;
  return <u32>h;
}
