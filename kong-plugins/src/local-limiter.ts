// The `local` rate-limit store: GCRA state (the theoretical arrival time) per key, in this process.
// One kong-js-pluginserver process serves every Kong worker, so this is exact per Kong node, like
// Kong's own `local` policy. Entries expire once their TAT has passed (the bucket is full again).
import { LRUCache } from "lru-cache";
import { lruClock } from "./clock";

export class LocalLimiterStore {
  private readonly tats: LRUCache<string, number>;

  constructor(maxKeys = 100_000) {
    this.tats = new LRUCache<string, number>({ max: maxKeys, ttlAutopurge: false, ...lruClock });
  }

  get(key: string): number {
    return this.tats.get(key) ?? 0;
  }

  set(key: string, tatUs: number, nowMs: number): void {
    const ttlMs = Math.max(1, Math.ceil(tatUs / 1000 - nowMs));
    this.tats.set(key, tatUs, { ttl: ttlMs });
  }

  get size(): number {
    return this.tats.size;
  }
}
