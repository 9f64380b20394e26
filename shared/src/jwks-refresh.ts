// When to fetch a JWKS and which key set requests may verify with: one portable state machine both planes drive
// (DECISIONS.md §11.5). It never does I/O and never reads a clock: the host passes `nowMs` to every call, starts
// the fetches it is told to, and reports how each ended. Rules:
//   - a good set is used for `refreshSeconds` after its fetch, then fetched again (periodic refresh);
//   - at most one fetch in flight (single flight), and at most one fetch started per `minRefetchSeconds`
//     whatever starts it (refresh due, unknown kid, no set yet, retry after a failure): a flood of tokens with
//     made-up kids costs one fetch per cooldown window;
//   - a fetched body replaces the set only when parseKeySet accepts it (bounded size and key count, at least one
//     usable key); a failed or refused fetch keeps the last good set;
//   - the last good set keeps verifying until `refreshSeconds + staleSeconds` after its fetch; after that
//     requests have no usable key set and get the auth failure mode.
import { KeySet, MAX_JWKS_BYTES, parseKeySet } from "./jwks";
import { JwtSettings } from "./policy";
import { utf8TextOf } from "./utf8";

/** What a request that needs keys should do (JwksRefresh.plan). */
export const enum KeysPlan {
  /** Answer the engine with `usable(now)` (null = no usable set: the failure mode). */
  Use = 0,
  /** Call `begin(now)`, fetch, report it (`onFetched`/`onFetchFailed`), then answer with `usable(now)`. */
  Fetch = 1,
  /** A fetch is in flight: answer with `usable(now)` once it has ended. */
  Wait = 2,
}

export function keysPlanName(plan: i32): string {
  if (plan == KeysPlan.Fetch) return "fetch";
  if (plan == KeysPlan.Wait) return "wait";
  return "use";
}

export class JwksRefresh {
  readonly refreshMs: f64;
  readonly minRefetchMs: f64;
  readonly staleMs: f64;
  /** The last good set (null before the first good fetch) and its text as fetched (what the Envoy plane shares
   *  with its other workers), and when it was fetched. */
  keySet: KeySet | null = null;
  keySetText: string = "";
  fetchedAtMs: f64 = 0;
  /** When the last fetch started (-1 = never), whether one is in flight. */
  lastStartMs: f64 = -1;
  inFlight: bool = false;
  /** Why the last fetch failed or was refused ("" after a good one): for logs. */
  lastError: string = "";

  constructor(settings: JwtSettings) {
    this.refreshMs = f64(settings.refreshSeconds) * 1000;
    this.minRefetchMs = f64(settings.minRefetchSeconds) * 1000;
    this.staleMs = f64(settings.staleSeconds) * 1000;
  }

  /** The set requests may verify with now, or null (none fetched yet, or the last good one is too old). */
  usable(nowMs: f64): KeySet | null {
    const set = this.keySet;
    if (set == null || nowMs >= this.fetchedAtMs + this.refreshMs + this.staleMs) return null;
    return set;
  }

  /** Whether a fetch may start now: none in flight, and the cooldown since the last start is over. */
  mayStart(nowMs: f64): bool {
    return !this.inFlight && (this.lastStartMs < 0 || nowMs >= this.lastStartMs + this.minRefetchMs);
  }

  /** Periodic refresh (a host's tick, or any request): whether to start a fetch now in the background. */
  due(nowMs: f64): bool {
    return this.mayStart(nowMs) && (this.keySet == null || nowMs >= this.fetchedAtMs + this.refreshMs);
  }

  /** What a request does before it verifies: `unknownKid` when the engine asks again because the token's kid is
   *  not in the set it was given (Flow.keysRefetch). Without a usable set, or on an unknown kid, it fetches when
   *  it may, joins a fetch in flight, and otherwise goes on with what there is. */
  plan(nowMs: f64, unknownKid: bool): i32 {
    if (!unknownKid && this.usable(nowMs) != null) return KeysPlan.Use;
    if (this.inFlight) return KeysPlan.Wait;
    if (this.mayStart(nowMs)) return KeysPlan.Fetch;
    return KeysPlan.Use;
  }

  /** The host starts a fetch (after `plan` said Fetch or `due` said true). */
  begin(nowMs: f64): void {
    this.inFlight = true;
    this.lastStartMs = nowMs;
  }

  /** A fetch answered 200 with `body` (its bytes as a byte string, read as UTF-8 by the one rule of
   *  DECISIONS.md §3.3). Returns "" when the set replaced the last good one, else why it was refused (the last
   *  good set stays). */
  onFetched(body: string, nowMs: f64): string {
    this.inFlight = false;
    return this.adopt(body, nowMs);
  }

  /** A set fetched at `fetchedAtMs` by someone else (the Envoy plane's other workers, through shared data):
   *  validated the same way; kept only when newer than the one held. Returns "" or why it was refused. */
  adopt(body: string, fetchedAtMs: f64): string {
    const error = this.replaceWith(body, fetchedAtMs);
    this.lastError = error;
    return error;
  }

  private replaceWith(body: string, fetchedAtMs: f64): string {
    if (body.length > MAX_JWKS_BYTES) return "key set larger than " + MAX_JWKS_BYTES.toString() + " bytes";
    const text = utf8TextOf(body);
    if (text == null) return "key set is not UTF-8";
    const result = parseKeySet(text);
    const set = result.keySet;
    if (set == null) return result.error;
    if (this.keySet != null && fetchedAtMs < this.fetchedAtMs) return "";
    this.keySet = set;
    this.keySetText = body;
    this.fetchedAtMs = fetchedAtMs;
    return "";
  }

  /** A fetch failed (`reason`: status_<n>, timeout, connect, too_large …): the last good set stays. */
  onFetchFailed(reason: string, nowMs: f64): void {
    this.inFlight = false;
    this.lastError = reason;
  }
}
