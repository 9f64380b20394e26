// jwt mode on Envoy: the worker VM's JWKS fetcher, owned by the root context. It drives the core's refresh state
// machine (shared/src/jwks-refresh.ts: when to fetch, which set is usable, single flight and cooldown within this
// worker) with proxy-wasm I/O:
//   - fetches are root-context http calls to auth.jwt.jwks (cluster, authority, path) with auth.jwt.jwksTimeoutMs;
//   - the root's tick (1 s) checks for a periodic refresh and takes a newer set another worker published;
//   - a good set is published to shared data for the other workers (jwks-shared.ts), which validate it before use;
//   - a fetch first claims the proxy-wide attempt record, so the cooldown for unknown-kid refetches holds across
//     workers (a worker with no usable set at all still fetches once: it has nothing to verify with);
//   - streams that need keys while a fetch is in flight pause in a bounded queue and resume when it ends; on
//     overflow, or when a fetch fails, they get what there is (the last good set while it is usable, else none:
//     the core's decision, i.e. the policy's failure mode).
// A request whose decision is cached never reaches this file: no host call is added to the cache-hit path.
import { JwksRefresh, KeysPlan } from "../../../shared/src/jwks-refresh";
import { KeySet, MAX_JWKS_BYTES } from "../../../shared/src/jwks";
import { JwtSettings } from "../../../shared/src/policy";
import { utf8ByteString } from "../../../shared/src/utf8";
import { httpCall, log, LogLevel, Pair } from "../abi";
import { SharedJwksState } from "./jwks-shared";

/** Streams one worker keeps paused for one fetch; more get the keys there are at once. */
export const MAX_KEY_WAITERS: i32 = 1024;
/** The largest fetch answer read (the core refuses larger sets anyway): a bigger body is `too_large`, unread. */
export const MAX_JWKS_RESPONSE_BYTES: usize = <usize>MAX_JWKS_BYTES;

export class JwksFetcher {
  readonly refresh: JwksRefresh;
  private readonly shared: SharedJwksState;
  private readonly cluster: string;
  private readonly headers: Array<Pair>;
  private readonly timeoutMs: u32;
  /** Token of the fetch in flight (0: none). */
  private callToken: u32 = 0;
  private waiters: Array<u32> = new Array<u32>();

  constructor(settings: JwtSettings, namespace: string) {
    this.refresh = new JwksRefresh(settings);
    this.shared = new SharedJwksState(namespace);
    const jwks = settings.jwks;
    this.cluster = jwks.cluster;
    this.timeoutMs = u32(settings.jwksTimeoutMs);
    const headers = new Array<Pair>();
    headers.push(new Pair(":method", "GET"));
    headers.push(new Pair(":path", utf8ByteString(jwks.path)));
    headers.push(new Pair(":authority", utf8ByteString(jwks.authority)));
    headers.push(new Pair("accept", "application/json"));
    this.headers = headers;
  }

  /** Configure time: creates the shared records (see jwks-shared.ts). No fetch here: the canary VM runs
   *  on_configure too and is dropped right after; the first tick or the first request fetches. */
  initialize(): void {
    this.shared.initialize();
  }

  /** The set a request may verify with now (null: none usable). */
  usable(nowMs: f64): KeySet | null {
    return this.refresh.usable(nowMs);
  }

  /**
   * Step.Keys: true when the stream must pause until the fetch in flight ends (it is then resumed through
   * MeshgateStream.onKeysReady); false when it goes on with usable(now) at once.
   */
  mustWait(streamId: u32, unknownKid: bool, nowMs: f64): bool {
    const refresh = this.refresh;
    const plan = refresh.plan(nowMs, unknownKid);
    if (plan == KeysPlan.Use) return false;
    if (plan == KeysPlan.Fetch) {
      // Another worker may have fetched what this request needs already.
      if (this.adoptShared() && !unknownKid) return false;
      if (!this.start(nowMs)) return false;
    }
    if (this.waiters.length >= MAX_KEY_WAITERS) return false;
    this.waiters.push(streamId);
    return true;
  }

  /** The root's tick: take a newer set from another worker, then refresh when due. */
  onTick(nowMs: f64): void {
    this.adoptShared();
    if (this.refresh.due(nowMs)) this.start(nowMs);
  }

  /** Whether a fetch is in flight. */
  get fetching(): bool {
    return this.callToken != 0;
  }

  owns(token: u32): bool {
    return token != 0 && token == this.callToken;
  }

  /** The fetch answered (`failure` "" and a status) or failed (`failure` timeout, connect, reset, too_large).
   *  Returns the streams that waited for it; the root resumes each. */
  onAnswer(failure: string, status: i32, body: string, nowMs: f64): Array<u32> {
    this.callToken = 0;
    const refresh = this.refresh;
    if (failure.length > 0) this.failed(failure, nowMs);
    else if (status != 200) this.failed("status_" + status.toString(), nowMs);
    else {
      const error = refresh.onFetched(body, nowMs);
      if (error.length > 0) log(LogLevel.Warn, "meshgate: key set from cluster '" + this.cluster + "' refused: " + error);
      else this.shared.publish(refresh.keySetText, refresh.fetchedAtMs);
    }
    const waiters = this.waiters;
    this.waiters = new Array<u32>();
    return waiters;
  }

  /** Starts a fetch when this worker may (the core's rules) and the proxy-wide cooldown allows it. */
  private start(nowMs: f64): bool {
    const refresh = this.refresh;
    if (!this.shared.claimAttempt(nowMs, refresh.minRefetchMs) && refresh.usable(nowMs) != null) {
      // Another worker fetched within the cooldown: this worker honours it too.
      const last = this.shared.lastAttemptMs;
      if (last > refresh.lastStartMs) refresh.lastStartMs = last;
      return false;
    }
    refresh.begin(nowMs);
    const call = httpCall(this.cluster, this.headers, null, this.timeoutMs, true);
    if (!call.ok) {
      log(LogLevel.Error, "meshgate: key set fetch refused by the proxy (is cluster '" + this.cluster + "' known to it?)");
      refresh.onFetchFailed("dispatch", nowMs);
      return false;
    }
    this.callToken = call.token;
    return true;
  }

  private failed(reason: string, nowMs: f64): void {
    this.refresh.onFetchFailed(reason, nowMs);
    log(LogLevel.Warn, "meshgate: key set fetch from cluster '" + this.cluster + "' failed: " + reason);
  }

  /** Adopts a newer, valid set another worker published; true when it did. */
  private adoptShared(): bool {
    const published = this.shared.changedSet();
    if (published == null || published.fetchedAtMs <= this.refresh.fetchedAtMs) return false;
    const error = this.refresh.adopt(published.body, published.fetchedAtMs);
    if (error.length > 0) {
      log(LogLevel.Warn, "meshgate: key set in shared data refused: " + error);
      return false;
    }
    return true;
  }
}
