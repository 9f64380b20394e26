// The `local` rate-limit store: GCRA state (one theoretical arrival time per window) per key, in this process.
// One kong-js-pluginserver process serves every Kong worker, so this is exact per Kong node, like
// Kong's own `local` policy. Entries expire once every TAT has passed (every window is full again).
import { LRUCache } from "lru-cache";
import { lruClock } from "./clock";

const NO_STATE: readonly number[] = [];

export class LocalLimiterStore {
  private readonly tats: LRUCache<string, number[]>;

  constructor(maxKeys = 100_000) {
    this.tats = new LRUCache<string, number[]>({ max: maxKeys, ttlAutopurge: false, ...lruClock });
  }

  /** The stored TATs, one per window (empty = no state). Read-only. */
  get(key: string): number[] {
    return this.tats.get(key) ?? (NO_STATE as number[]);
  }

  set(key: string, tatsUs: number[], nowMs: number): void {
    const ttlMs = Math.max(1, Math.ceil(Math.max(...tatsUs) / 1000 - nowMs));
    this.tats.set(key, tatsUs, { ttl: ttlMs });
  }

  get size(): number {
    return this.tats.size;
  }
}
