// The root context: owns the compiled policy, the caches and the auth calls of one worker VM.
// Auth calls are issued by the root (Envoy binds every http call to the root anyway) and their answer
// is handed to every stream waiting on the same cache key, so concurrent misses make one call and a
// stream that goes away never strands the others.
import { AuthRequest, MAX_AUTH_RESPONSE_BYTES } from "../../../shared/src/auth";
import { Engine } from "../../../shared/src/engine";
import { Header } from "../../../shared/src/headers";
import { AuthMode } from "../../../shared/src/policy";
import { parsePolicy } from "../../../shared/src/policy-parse";
import { Plane, planeGaps } from "../../../shared/src/plane-completeness";
import { utf8ByteString } from "../../../shared/src/utf8";
import {
  getBufferBytes, getHeaderPairs, getHttpContext, httpCall, HttpContext, log, LogLevel, MapType, BufferType, nowMs, Pair,
  RootContext, setEffectiveContext, setTickPeriod,
} from "../abi";
import { byteStringAt } from "../abi/byte-string";
import { DecisionStore } from "./decision-store";
import { WasmCharScan } from "./char-scan";
import { MemoKeyDigest } from "./key-digest";
import { SharedLimiter, LIMITER_SLOTS } from "./limiter";
import { JwksFetcher, MAX_JWKS_RESPONSE_BYTES } from "./jwks-fetcher";
import { FilterMetrics, FLUSH_PERIOD_MS } from "./metrics";
import { U64SignatureVerifier } from "./signature-u64";
import { sha256HexOfText } from "./sha256";
import { AuthAnswer, MeshgateStream } from "./stream";

const SHARED_PREFIX = "meshgate:";

/** One auth call in flight: the cache key it answers and when it left. */
class PendingCall {
  constructor(public cacheKey: string, public startedMs: f64) {}
}

export class MeshgateRoot extends RootContext {
  engine: Engine | null = null;
  decisions: DecisionStore | null = null;
  limiter: SharedLimiter | null = null;
  metrics: FilterMetrics | null = null;
  /** jwt mode: this worker's key set and its fetches (null in the other modes). */
  jwks: JwksFetcher | null = null;
  /** A fetcher replaced by a reconfiguration while its fetch was in flight: its answer still resumes its streams. */
  private retiringJwks: JwksFetcher | null = null;
  private readonly waiting: Map<string, Array<u32>> = new Map<string, Array<u32>>();
  private readonly calls: Map<u32, PendingCall> = new Map<u32, PendingCall>();

  onConfigure(configuration: string): bool {
    const parsed = parsePolicy(configuration);
    const policy = parsed.policy;
    if (policy == null || parsed.errors.length > 0) {
      for (let i = 0; i < parsed.errors.length; i++) log(LogLevel.Error, "meshgate: invalid configuration: " + parsed.errors[i]);
      return false;
    }
    const gaps = planeGaps(policy, Plane.Envoy);
    if (gaps.length > 0) {
      for (let i = 0; i < gaps.length; i++) log(LogLevel.Error, "meshgate: invalid configuration: " + gaps[i]);
      return false;
    }
    const auth = policy.auth;
    // A new configuration of a running VM: write the old counts before their ids are replaced.
    const previous = this.metrics;
    if (previous != null) previous.flush();
    const metrics = FilterMetrics.defineAll();
    this.metrics = metrics;
    this.engine = new Engine(policy, new MemoKeyDigest(), new WasmCharScan(), new U64SignatureVerifier());
    // Istio gives every WasmPlugin of a proxy one shared-data namespace: keys carry a tag of the policy.
    const namespace = SHARED_PREFIX + sha256HexOfText(configuration).substring(0, 12) + ":";
    this.decisions = new DecisionStore(namespace + "c:", auth.cache.maxEntries, metrics);
    const previousJwks = this.jwks;
    if (previousJwks != null && previousJwks.fetching) this.retiringJwks = previousJwks;
    if (auth.enabled && auth.mode == AuthMode.Jwt) {
      const jwks = new JwksFetcher(auth.jwt, namespace);
      jwks.initialize();
      this.jwks = jwks;
    } else {
      this.jwks = null;
    }
    if (policy.rateLimit.enabled) {
      const limiter = new SharedLimiter(namespace + "rl:", LIMITER_SLOTS);
      limiter.initialize();
      this.limiter = limiter;
    } else {
      this.limiter = null;
    }
    setTickPeriod(FLUSH_PERIOD_MS);
    return true;
  }

  onTick(): void {
    const metrics = this.metrics;
    if (metrics != null) metrics.flush();
    const jwks = this.jwks;
    if (jwks != null) jwks.onTick(nowMs());
  }

  createHttpContext(id: u32): HttpContext {
    return new MeshgateStream(id, this);
  }

  /** Joins or starts the auth call for this cache key; false when the call could not be dispatched. */
  requestAuth(streamId: u32, cacheKey: string, request: AuthRequest, now: f64): bool {
    if (this.waiting.has(cacheKey)) {
      this.waiting.get(cacheKey).push(streamId);
      return true;
    }
    // The core's auth-request values are byte strings (forwarded client bytes as received): sent byte for byte.
    const headers = new Array<Pair>();
    headers.push(new Pair(":method", request.method));
    headers.push(new Pair(":path", utf8ByteString(request.path)));
    headers.push(new Pair(":authority", utf8ByteString(request.authority)));
    for (let i = 0; i < request.headers.length; i++) headers.push(new Pair(request.headers[i].name, request.headers[i].value));
    const body: ArrayBuffer | null = request.body.length > 0 ? String.UTF8.encode(request.body) : null;
    const cluster = this.engine!.policy.auth.service.cluster;
    const call = httpCall(cluster, headers, body, u32(request.timeoutMs), true);
    if (!call.ok) {
      this.metrics!.authCallRefused();
      log(LogLevel.Error, "meshgate: auth call refused by the proxy (is cluster '" + cluster + "' known to it?)");
      return false;
    }
    const waiters = new Array<u32>();
    waiters.push(streamId);
    this.waiting.set(cacheKey, waiters);
    this.calls.set(call.token, new PendingCall(cacheKey, now));
    return true;
  }

  onHttpCallResponse(token: u32, numHeaders: u32, bodySize: usize, numTrailers: u32): void {
    const jwks = this.jwks;
    if (jwks != null && jwks.owns(token)) {
      this.onKeySetAnswer(jwks, numHeaders, bodySize);
      return;
    }
    const retiring = this.retiringJwks;
    if (retiring != null && retiring.owns(token)) {
      this.retiringJwks = null;
      this.onKeySetAnswer(retiring, numHeaders, bodySize);
      return;
    }
    if (!this.calls.has(token)) return;
    const call = this.calls.get(token);
    this.calls.delete(token);
    const now = nowMs();
    const answer = readAnswer(numHeaders, bodySize, <usize>MAX_AUTH_RESPONSE_BYTES);
    answer.latencyMs = now - call.startedMs;
    this.metrics!.authCall(answer.status, answer.failure, answer.latencyMs);
    if (!this.waiting.has(call.cacheKey)) return;
    const waiters = this.waiting.get(call.cacheKey);
    this.waiting.delete(call.cacheKey);
    let stored = false;
    for (let i = 0; i < waiters.length; i++) {
      const stream = getHttpContext(waiters[i]);
      if (stream == null || !(stream instanceof MeshgateStream)) continue;
      setEffectiveContext(waiters[i]);
      (stream as MeshgateStream).onAuthAnswer(answer, now, !stored);
      stored = true;
    }
  }

  /** A key set fetch ended: the fetcher takes the set (or the failure), then every stream that waited goes on. */
  private onKeySetAnswer(jwks: JwksFetcher, numHeaders: u32, bodySize: usize): void {
    const now = nowMs();
    const answer = readAnswer(numHeaders, bodySize, MAX_JWKS_RESPONSE_BYTES);
    const waiters = jwks.onAnswer(answer.failure, answer.status, answer.body, now);
    for (let i = 0; i < waiters.length; i++) {
      const stream = getHttpContext(waiters[i]);
      if (stream == null || !(stream instanceof MeshgateStream)) continue;
      setEffectiveContext(waiters[i]);
      (stream as MeshgateStream).onKeysReady(now);
    }
  }
}

// Envoy answers a call it could not complete with a reply of its own router (reference §3.3): these are
// transport failures, named as the Kong plane names them (reason auth_timeout / auth_connect / auth_reset).
const ROUTER_TIMEOUT_BODY = "upstream request timeout";
const ROUTER_RESET_BODY = "upstream connect error or disconnect/reset before headers";
const ROUTER_NO_HOST_BODY = "no healthy upstream";

/** The call's answer, or its transport failure; a body over `maxBodyBytes` is `too_large` and is not read. */
function readAnswer(numHeaders: u32, bodySize: usize, maxBodyBytes: usize): AuthAnswer {
  const answer = new AuthAnswer();
  if (numHeaders == 0) {
    answer.failure = "reset";
    return answer;
  }
  if (bodySize > maxBodyBytes) {
    answer.failure = "too_large";
    return answer;
  }
  // Values and body as byte strings: the core reads them as text, by one rule on both planes (DECISIONS.md §3.3).
  const pairs = getHeaderPairs(MapType.HttpCallResponseHeaders, true);
  if (pairs != null) {
    for (let i = 0; i < pairs.length; i++) {
      const pair = pairs[i];
      if (pair.key == ":status") answer.status = parseStatus(pair.value);
      else answer.headers.push(new Header(pair.key.toLowerCase(), pair.value));
    }
  }
  if (bodySize > 0) {
    const bytes = getBufferBytes(BufferType.HttpCallResponseBody, 0, bodySize);
    if (bytes != null) answer.body = byteStringAt(changetype<usize>(bytes), <usize>bytes.byteLength);
  }
  answer.failure = routerFailure(answer.status, answer.body);
  return answer;
}

function routerFailure(status: i32, body: string): string {
  if (status == 504 && body == ROUTER_TIMEOUT_BODY) return "timeout";
  if (status != 503) return "";
  if (body == ROUTER_NO_HOST_BODY) return "connect";
  if (!body.startsWith(ROUTER_RESET_BODY)) return "";
  return body.includes("connection failure") ? "connect" : "reset";
}

function parseStatus(text: string): i32 {
  if (text.length != 3) return 0;
  let status: i32 = 0;
  for (let i = 0; i < 3; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return 0;
    status = status * 10 + (c - 0x30);
  }
  return status;
}
