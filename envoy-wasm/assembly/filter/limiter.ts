// GCRA state shared by every worker VM through proxy-wasm shared data, updated with compare-and-swap,
// so a limit is exact across the workers of one proxy. Keys map to a fixed set of slots (ABI 0.2.1 has
// no delete); a slot holds `<limit key>\n<tat µs>`. Every slot is created empty at configure time,
// because writing an absent key always succeeds and two workers could otherwise both win the first write.
import { Engine, Flow } from "../../../shared/src/engine";
import { fnv1a32 } from "../../../shared/src/digest";
import { GcraResult } from "../../../shared/src/gcra";
import { decimalToF64 } from "../../../shared/src/decimal";
import { utf8Encode } from "../../../shared/src/utf8";
import { getSharedData, setSharedData, WasmResult } from "../abi";
import { payloadFor, recordOf } from "./slots";

export const LIMITER_SLOTS: i32 = 16384;
/** CAS conflicts tolerated per decision before the limiter counts as unavailable. */
export const MAX_CAS_ATTEMPTS: i32 = 16;

export class SharedLimiter {
  constructor(private readonly prefix: string, private readonly slots: i32) {}

  /** Creates missing slots as empty records; returns how many it created. */
  initialize(): i32 {
    let created = 0;
    const empty = new ArrayBuffer(0);
    for (let i = 0; i < this.slots; i++) {
      const key = this.prefix + i.toString();
      if (getSharedData(key).status == WasmResult.NotFound) {
        setSharedData(key, empty, 0);
        created++;
      }
    }
    return created;
  }

  /** The committed verdict, or null when the store could not be updated (the policy's fail mode decides). */
  check(engine: Engine, flow: Flow, nowMs: f64): GcraResult | null {
    const key = flow.limitKey;
    const slotKey = this.prefix + i32(fnv1a32(utf8Encode(key)) % u32(this.slots)).toString();
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      const current = getSharedData(slotKey);
      let tat: f64 = 0;
      let cas: u32 = 0;
      if (current.status == WasmResult.Ok) {
        cas = current.cas;
        const value = current.value;
        if (value != null && value.byteLength > 0) {
          const payload = payloadFor(String.UTF8.decode(value), key);
          // Another key's state in this slot is evicted: that key starts from a full bucket.
          if (payload != null && payload.length > 0) tat = decimalToF64(payload, 0, payload.length);
        }
      }
      const result = engine.evaluateLimit(flow, tat, nowMs);
      if (!result.allowed) return result;
      const record = recordOf(key, formatInteger(result.newTatUs));
      const status = setSharedData(slotKey, String.UTF8.encode(record), cas);
      if (status == WasmResult.Ok) return result;
      if (status != WasmResult.CasMismatch) return null;
    }
    return null;
  }
}

function formatInteger(n: f64): string {
  return i64(n).toString();
}
