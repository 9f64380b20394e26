// GCRA state shared by every worker VM through proxy-wasm shared data, updated with compare-and-swap,
// so a limit is exact across the workers of one proxy. Keys map to a fixed set of slots (ABI 0.2.1 has
// no delete); a slot holds `<limit key>\n<tat µs>[,<tat µs>…]`, one TAT per window of the limit, so one CAS
// write updates every window at once (a request consumes from all of them or from none). Every slot is created empty at configure time,
// because writing an absent key always succeeds and two workers could otherwise both win the first write.
// The hot path works on bytes in the bindings' staging area and on the host's result block: no strings,
// no JSON, two host calls (read, CAS write) when nobody else wrote the slot in between.
import { Engine, Flow } from "../../../shared/src/engine";
import { GcraVerdict } from "../../../shared/src/gcra";
import { getSharedData, setSharedData, WasmResult } from "../abi";
import { proxy_get_shared_data, proxy_set_shared_data } from "../abi/imports";
import {
  beginStaging, clearResultSlots, commitStage, discardResult, RESULT_EXTRA, RESULT_PTR, RESULT_SIZE, reserveStage,
} from "../abi/memory";

export const LIMITER_SLOTS: i32 = 16384;
/** CAS conflicts tolerated per decision before the limiter counts as unavailable. */
export const MAX_CAS_ATTEMPTS: i32 = 16;
/** Digits of the largest TAT that stays exact in an f64 (2^53). */
const MAX_TAT_DIGITS: usize = 16;
/** Windows a limit may have (policy-routes.ts parseLimits). */
const MAX_WINDOWS: usize = 8;

export class SharedLimiter {
  private readonly prefixBytes: ArrayBuffer;
  private slotKeySize: usize = 0;

  constructor(private readonly prefix: string, private readonly slots: i32) {
    this.prefixBytes = String.UTF8.encode(prefix);
  }

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
  check(engine: Engine, flow: Flow, nowMs: f64): GcraVerdict | null {
    const key = flow.limitKey;
    beginStaging();
    const slotKey = this.stageSlotKey(slotOf(key, this.slots));
    const slotKeySize = this.slotKeySize;
    // `<key>\n` once; each attempt writes its TATs after it.
    const tatRoom = (MAX_TAT_DIGITS + 1) * MAX_WINDOWS;
    const record = reserveStage(<usize>key.length * 3 + 1 + tatRoom);
    const recordHead = String.UTF8.encodeUnsafe(changetype<usize>(key), key.length, record, false) + 1;
    store<u8>(record + recordHead - 1, 0x0a);
    commitStage(recordHead + tatRoom);
    const tats = storedScratch;
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      clearResultSlots();
      const status = proxy_get_shared_data(slotKey, slotKeySize, RESULT_PTR, RESULT_SIZE, RESULT_EXTRA);
      let cas: u32 = 0;
      tats.length = 0;
      if (status == WasmResult.Ok) {
        cas = load<u32>(RESULT_EXTRA);
        storedTats(<usize>load<u32>(RESULT_PTR), <usize>load<u32>(RESULT_SIZE), record, recordHead, tats);
      }
      discardResult();
      const result = engine.evaluateLimit(flow, tats, nowMs);
      if (!result.allowed) return result;
      let size = recordHead;
      for (let i = 0, n = result.windows.length; i < n; i++) {
        if (i > 0) store<u8>(record + size++, 0x2c);
        size += writeInteger(record + size, unchecked(result.windows[i]).newTatUs);
      }
      const written = proxy_set_shared_data(slotKey, slotKeySize, record, size, cas);
      if (written == WasmResult.Ok) return result;
      if (written != WasmResult.CasMismatch) return null;
    }
    return null;
  }

  private stageSlotKey(slot: i32): usize {
    const prefixSize = <usize>this.prefixBytes.byteLength;
    const at = reserveStage(prefixSize + 10);
    memory.copy(at, changetype<usize>(this.prefixBytes), prefixSize);
    this.slotKeySize = prefixSize + writeInteger(at + prefixSize, f64(slot));
    commitStage(this.slotKeySize);
    return at;
  }
}

/** The TATs read from a slot, for one check at a time (a VM runs one callback at a time; evaluateLimit keeps none). */
const storedScratch = new Array<f64>();

/** FNV-1a over the key's UTF-16 units: spreads keys over the slots (not a cross-plane value). */
function slotOf(key: string, slots: i32): i32 {
  let h: u32 = 2166136261;
  const units = changetype<usize>(key);
  for (let i = 0, n = key.length; i < n; i++) {
    h ^= <u32>load<u16>(units + (<usize>i << 1));
    h *= 16777619;
  }
  return <i32>(h % <u32>slots);
}

/** The TATs a slot holds for this key, into `out` (left empty — no state — when the slot is empty, holds another
 *  key, or is unreadable). */
function storedTats(value: usize, size: usize, head: usize, headSize: usize, out: Array<f64>): void {
  if (value == 0 || size <= headSize || size - headSize > (MAX_TAT_DIGITS + 1) * MAX_WINDOWS) return;
  if (memory.compare(value, head, headSize) != 0) return;
  let tat: f64 = 0;
  let digits: usize = 0;
  for (let at = value + headSize, end = value + size; at <= end; at++) {
    const c = at < end ? <i32>load<u8>(at) : 0x2c;
    if (c == 0x2c) {
      if (digits == 0) { out.length = 0; return; }
      out.push(tat);
      tat = 0;
      digits = 0;
      continue;
    }
    const digit = c - 0x30;
    if (digit < 0 || digit > 9 || ++digits > MAX_TAT_DIGITS) { out.length = 0; return; }
    tat = tat * 10 + f64(digit);
  }
}

/** Decimal digits of a non-negative integer-valued f64 below 2^53; returns the byte count. */
function writeInteger(at: usize, value: f64): usize {
  let n = <u64>value;
  let digits: usize = 1;
  for (let rest = n / 10; rest > 0; rest /= 10) digits++;
  for (let i = digits; i > 0; i--) {
    store<u8>(at + i - 1, <u8>(0x30 + <u32>(n % 10)));
    n /= 10;
  }
  return digits;
}
