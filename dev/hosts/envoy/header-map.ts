// An Envoy-like header map: ordered entries, lower-cased keys, duplicates allowed, pseudo-headers
// (":method", ":path", …) kept in front of regular headers as Envoy's HeaderList does.

import type { Pair } from "./pairs.js";

export class HeaderMap {
  private entries: Array<[string, string]> = [];

  constructor(pairs: Iterable<Pair> = []) {
    for (const [k, v] of pairs) this.add(k, v);
  }

  get size(): number { return this.entries.length; }

  /** Envoy HeaderMap::byteSize(): the summed length of every key and value. */
  byteSize(): number {
    let n = 0;
    for (const [k, v] of this.entries) n += k.length + v.length;
    return n;
  }

  get(key: string): string | undefined {
    const k = key.toLowerCase();
    for (const [ek, ev] of this.entries) if (ek === k) return ev;
    return undefined;
  }

  getAll(key: string): string[] {
    const k = key.toLowerCase();
    return this.entries.filter(([ek]) => ek === k).map(([, v]) => v);
  }

  has(key: string): boolean { return this.get(key) !== undefined; }

  add(key: string, value: string): void {
    const k = key.toLowerCase();
    if (k.startsWith(":")) {
      let i = 0;
      while (i < this.entries.length && (this.entries[i]?.[0] ?? "").startsWith(":")) i++;
      this.entries.splice(i, 0, [k, value]);
    } else {
      this.entries.push([k, value]);
    }
  }

  /** setCopy: replaces every value of the key (or adds it). */
  set(key: string, value: string): void {
    this.remove(key);
    this.add(key, value);
  }

  remove(key: string): void {
    const k = key.toLowerCase();
    this.entries = this.entries.filter(([ek]) => ek !== k);
  }

  clear(): void { this.entries = []; }

  pairs(): Pair[] { return this.entries.map(([k, v]) => [k, v] as const); }

  clone(): HeaderMap { return new HeaderMap(this.entries); }

  /** Regular (non-pseudo) headers as a record; repeated keys become arrays. */
  toRecord(): Record<string, string | string[]> {
    const out: Record<string, string | string[]> = {};
    for (const [k, v] of this.entries) {
      if (k.startsWith(":")) continue;
      const prev = out[k];
      if (prev === undefined) out[k] = v;
      else if (Array.isArray(prev)) prev.push(v);
      else out[k] = [prev, v];
    }
    return out;
  }
}
