// The JWKS state the worker VMs of one proxy share through shared data (ABI 0.2.1: no delete, no atomic create,
// one global CAS counter). Two records, both created at configure time so that every later write is a real
// compare-and-swap:
//   <ns>jwks:set      `<fetchedAtMs>\n<key set bytes>`: the newest good key set any worker fetched. A worker adopts
//                     it only after validating it itself (JwksRefresh.adopt → parseKeySet), so a corrupt or
//                     foreign record can never hand it a key; the record is bounded (MAX_JWKS_BYTES + a stamp).
//   <ns>jwks:attempt  `<startedAtMs>`: when a worker last started a fetch. A worker about to fetch claims it with a
//                     CAS write; a claim inside the cooldown, or lost to another worker's write, is refused, so the
//                     unknown-kid cooldown holds across workers.
import { MAX_JWKS_BYTES } from "../../../shared/src/jwks";
import { getSharedData, setSharedData, WasmResult } from "../abi";
import { byteStringAt } from "../abi/byte-string";

/** CAS conflicts tolerated when publishing a key set (each one means another worker just wrote a set). */
const MAX_PUBLISH_ATTEMPTS: i32 = 4;
/** Digits of the largest millisecond stamp that stays exact in an f64. */
const MAX_STAMP_DIGITS: i32 = 16;
const NEVER: f64 = -1;

/** A key set as another worker published it: its bytes (a byte string) and when it was fetched. */
export class SharedKeySet {
  constructor(public fetchedAtMs: f64, public body: string) {}
}

export class SharedJwksState {
  private readonly setKey: string;
  private readonly attemptKey: string;
  /** CAS of the set record this worker last read or wrote: an unchanged record is not parsed again. */
  private seenSetCas: u32 = 0;
  /** After a refused claim: when the fetch that holds the cooldown started (-1: unknown). */
  lastAttemptMs: f64 = NEVER;

  constructor(namespace: string) {
    this.setKey = namespace + "jwks:set";
    this.attemptKey = namespace + "jwks:attempt";
  }

  /** Creates both records when absent (empty set, no attempt); a record another worker already wrote is kept. */
  initialize(): void {
    if (getSharedData(this.setKey).status == WasmResult.NotFound) setSharedData(this.setKey, new ArrayBuffer(0), 0);
    if (getSharedData(this.attemptKey).status == WasmResult.NotFound) {
      setSharedData(this.attemptKey, new ArrayBuffer(0), 0);
    }
  }

  /** The published set when it changed since this worker last looked, else null (also for an empty or
   *  malformed record: validation of the body itself is the caller's, through JwksRefresh.adopt). */
  changedSet(): SharedKeySet | null {
    const read = getSharedData(this.setKey);
    const value = read.value;
    if (read.status != WasmResult.Ok || value == null || read.cas == this.seenSetCas) return null;
    this.seenSetCas = read.cas;
    return parseSetRecord(value);
  }

  /** Publishes a set this worker fetched, unless a set fetched at the same time or later is already there. */
  publish(body: string, fetchedAtMs: f64): void {
    if (body.length > MAX_JWKS_BYTES) return;
    const record = setRecord(body, fetchedAtMs);
    for (let attempt = 0; attempt < MAX_PUBLISH_ATTEMPTS; attempt++) {
      const read = getSharedData(this.setKey);
      const value = read.value;
      if (read.status == WasmResult.Ok && value != null) {
        const current = parseSetRecord(value);
        if (current != null && current.fetchedAtMs >= fetchedAtMs) return;
      }
      const written = setSharedData(this.setKey, record, read.status == WasmResult.Ok ? read.cas : 0);
      if (written == WasmResult.Ok) {
        // Our own write: the next changedSet() need not parse it again.
        const after = getSharedData(this.setKey);
        if (after.status == WasmResult.Ok) this.seenSetCas = after.cas;
        return;
      }
      if (written != WasmResult.CasMismatch) return;
    }
  }

  /**
   * Claims the right to start a fetch now: true when no worker started one within `cooldownMs` and this
   * worker's CAS write of `nowMs` won. Otherwise false, and `lastAttemptMs` tells when the winner started.
   */
  claimAttempt(nowMs: f64, cooldownMs: f64): bool {
    const read = getSharedData(this.attemptKey);
    const value = read.value;
    let last = NEVER;
    if (read.status == WasmResult.Ok && value != null) last = parseStamp(value, value.byteLength);
    this.lastAttemptMs = last;
    if (last >= 0 && nowMs < last + cooldownMs) return false;
    const cas = read.status == WasmResult.Ok ? read.cas : 0;
    if (setSharedData(this.attemptKey, String.UTF8.encode(stampText(nowMs)), cas) == WasmResult.Ok) return true;
    // Another worker claimed it between our read and write: it started a fetch just now.
    this.lastAttemptMs = nowMs;
    return false;
  }
}

function setRecord(body: string, fetchedAtMs: f64): ArrayBuffer {
  const stamp = stampText(fetchedAtMs) + "\n";
  const out = new ArrayBuffer(stamp.length + body.length);
  const to = changetype<usize>(out);
  for (let i = 0; i < stamp.length; i++) store<u8>(to + i, <u8>stamp.charCodeAt(i));
  const bodyAt = to + stamp.length;
  // The body is a byte string (one code unit per byte, 0x00–0xFF): narrowed back to its bytes.
  for (let i = 0; i < body.length; i++) store<u8>(bodyAt + i, <u8>body.charCodeAt(i));
  return out;
}

function parseSetRecord(value: ArrayBuffer): SharedKeySet | null {
  const size = value.byteLength;
  const from = changetype<usize>(value);
  let newline = -1;
  for (let i = 0; i < min(size, MAX_STAMP_DIGITS + 3); i++) {
    if (load<u8>(from + i) == 0x0a) {
      newline = i;
      break;
    }
  }
  if (newline <= 0 || size - newline - 1 > MAX_JWKS_BYTES) return null;
  const fetchedAtMs = parseStamp(value, newline);
  if (fetchedAtMs < 0) return null;
  return new SharedKeySet(fetchedAtMs, byteStringAt(from + newline + 1, <usize>(size - newline - 1)));
}

/** Whole milliseconds in decimal, no fraction. */
function stampText(ms: f64): string {
  return (<i64>Math.floor(ms)).toString();
}

/** A non-negative decimal millisecond stamp as stampText writes it, or -1 (also for an empty record). */
function parseStamp(value: ArrayBuffer, length: i32): f64 {
  const from = changetype<usize>(value);
  let stamp: f64 = 0;
  let digits = 0;
  let i = 0;
  for (; i < length; i++) {
    const c = load<u8>(from + i);
    if (c < 0x30 || c > 0x39) break;
    stamp = stamp * 10 + f64(c - 0x30);
    digits++;
  }
  if (digits == 0 || digits > MAX_STAMP_DIGITS || i != length) return NEVER;
  return stamp;
}
