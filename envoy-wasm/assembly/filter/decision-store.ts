// Decision cache of the Envoy plane: a VM-local LRU (each worker thread has its own VM) in front of
// proxy-wasm shared data (one store for all workers), so a token verified on one worker is a hit on
// the others. A fresh local entry is served without touching shared data (no host call, no JSON).
// Shared records live in a fixed number of slots (no delete or TTL in ABI 0.2.1).
import { CachedDecision, decodeCachedDecision, encodeCachedDecision } from "../../../shared/src/decision";
import { getSharedData, setSharedData, WasmResult } from "../abi";
import { Lru } from "./lru";
import { FilterMetrics } from "./metrics";
import { payloadFor, recordOf, slotOfHex } from "./slots";

export class DecisionStore {
  private readonly local: Lru<CachedDecision>;

  constructor(private readonly prefix: string, private readonly slots: i32, private readonly metrics: FilterMetrics) {
    this.local = new Lru<CachedDecision>(slots);
  }

  get size(): i32 {
    return this.local.size;
  }

  /** The freshest entry this worker can see, or null. */
  get(cacheKey: string, nowMs: f64): CachedDecision | null {
    const local = this.local.get(cacheKey);
    if (local != null && local.freshUntilMs > nowMs) return local;
    const shared = this.readShared(cacheKey);
    if (shared == null) return local;
    if (local == null || shared.freshUntilMs > local.freshUntilMs) {
      this.remember(cacheKey, shared);
      return shared;
    }
    return local;
  }

  put(cacheKey: string, entry: CachedDecision): void {
    this.remember(cacheKey, entry);
    const record = recordOf(cacheKey, encodeCachedDecision(entry));
    setSharedData(this.slotKey(cacheKey), String.UTF8.encode(record), 0);
  }

  private remember(cacheKey: string, entry: CachedDecision): void {
    const before = this.local.size;
    this.local.set(cacheKey, entry);
    const added = this.local.size - before;
    if (added != 0) this.metrics.cacheEntriesChanged(added);
  }

  private readShared(cacheKey: string): CachedDecision | null {
    const found = getSharedData(this.slotKey(cacheKey));
    if (found.status != WasmResult.Ok || found.value == null) return null;
    const payload = payloadFor(String.UTF8.decode(found.value!), cacheKey);
    return payload != null ? decodeCachedDecision(payload) : null;
  }

  private slotKey(cacheKey: string): string {
    return this.prefix + slotOfHex(cacheKey, this.slots).toString();
  }
}
