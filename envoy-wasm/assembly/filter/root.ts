// The root context: owns the compiled policy, the caches and the auth calls of one worker VM.
// Auth calls are issued by the root (Envoy binds every http call to the root anyway) and their answer
// is handed to every stream waiting on the same cache key, so concurrent misses make one call and a
// stream that goes away never strands the others.
import { AuthRequest, MAX_AUTH_RESPONSE_BYTES } from "../../../shared/src/auth";
import { Engine } from "../../../shared/src/engine";
import { Header } from "../../../shared/src/headers";
import { parsePolicy } from "../../../shared/src/policy-parse";
import { sha256, toHex } from "../../../shared/src/digest";
import { utf8Decode, utf8Encode } from "../../../shared/src/utf8";
import {
  getBufferBytes, getHeaderPairs, getHttpContext, httpCall, HttpContext, log, LogLevel, MapType, BufferType, Pair,
  RootContext, setEffectiveContext,
} from "../abi";
import { DecisionStore } from "./decision-store";
import { SharedLimiter, LIMITER_SLOTS } from "./limiter";
import { FilterMetrics } from "./metrics";
import { AuthAnswer, MeshgateStream } from "./stream";

const SHARED_PREFIX = "meshgate:";

export class MeshgateRoot extends RootContext {
  engine: Engine | null = null;
  decisions: DecisionStore | null = null;
  limiter: SharedLimiter | null = null;
  metrics: FilterMetrics | null = null;
  private readonly waiting: Map<string, Array<u32>> = new Map<string, Array<u32>>();
  private readonly callKeys: Map<u32, string> = new Map<u32, string>();

  onConfigure(configuration: string): bool {
    const parsed = parsePolicy(configuration);
    const policy = parsed.policy;
    if (policy == null || parsed.errors.length > 0) {
      for (let i = 0; i < parsed.errors.length; i++) log(LogLevel.Error, "meshgate: invalid configuration: " + parsed.errors[i]);
      return false;
    }
    const auth = policy.auth;
    if (auth.enabled && (auth.service.cluster.length == 0 || auth.service.authority.length == 0 || auth.service.path.length == 0)) {
      log(LogLevel.Error, "meshgate: invalid configuration: auth.service: the Envoy plane needs \"cluster\", \"authority\" and \"path\"");
      return false;
    }
    const engine = new Engine(policy);
    this.engine = engine;
    // Istio gives every WasmPlugin of a proxy one shared-data namespace: keys carry a tag of the policy.
    const namespace = SHARED_PREFIX + toHex(sha256(utf8Encode(configuration))).substring(0, 12) + ":";
    this.decisions = new DecisionStore(namespace + "c:", auth.cache.maxEntries);
    if (policy.rateLimit.enabled) {
      const limiter = new SharedLimiter(namespace + "rl:", LIMITER_SLOTS);
      limiter.initialize();
      this.limiter = limiter;
    }
    this.metrics = FilterMetrics.defineAll();
    return true;
  }

  createHttpContext(id: u32): HttpContext {
    return new MeshgateStream(id, this);
  }

  /** Joins or starts the auth call for this cache key; false when the call could not be dispatched. */
  requestAuth(streamId: u32, cacheKey: string, request: AuthRequest): bool {
    if (this.waiting.has(cacheKey)) {
      this.waiting.get(cacheKey).push(streamId);
      return true;
    }
    const headers = new Array<Pair>();
    headers.push(new Pair(":method", request.method));
    headers.push(new Pair(":path", request.path));
    headers.push(new Pair(":authority", request.authority));
    for (let i = 0; i < request.headers.length; i++) headers.push(new Pair(request.headers[i].name, request.headers[i].value));
    const body: ArrayBuffer | null = request.body.length > 0 ? String.UTF8.encode(request.body) : null;
    const call = httpCall(this.engine!.policy.auth.service.cluster, headers, body, u32(request.timeoutMs));
    if (!call.ok) {
      log(LogLevel.Error, "meshgate: auth call refused by the proxy (is cluster '" + this.engine!.policy.auth.service.cluster + "' known to it?)");
      return false;
    }
    const waiters = new Array<u32>();
    waiters.push(streamId);
    this.waiting.set(cacheKey, waiters);
    this.callKeys.set(call.token, cacheKey);
    return true;
  }

  onHttpCallResponse(token: u32, numHeaders: u32, bodySize: usize, numTrailers: u32): void {
    if (!this.callKeys.has(token)) return;
    const cacheKey = this.callKeys.get(token);
    this.callKeys.delete(token);
    const waiters = this.waiting.get(cacheKey);
    this.waiting.delete(cacheKey);
    const answer = readAnswer(numHeaders, bodySize);
    for (let i = 0; i < waiters.length; i++) {
      const stream = getHttpContext(waiters[i]);
      if (stream == null || !(stream instanceof MeshgateStream)) continue;
      setEffectiveContext(waiters[i]);
      (stream as MeshgateStream).onAuthAnswer(answer);
    }
  }
}

function readAnswer(numHeaders: u32, bodySize: usize): AuthAnswer {
  const answer = new AuthAnswer();
  if (numHeaders == 0) {
    answer.failure = "reset";
    return answer;
  }
  if (bodySize > <usize>MAX_AUTH_RESPONSE_BYTES) {
    answer.failure = "too_large";
    return answer;
  }
  const pairs = getHeaderPairs(MapType.HttpCallResponseHeaders);
  if (pairs != null) {
    for (let i = 0; i < pairs.length; i++) {
      const pair = pairs[i];
      if (pair.key == ":status") answer.status = parseStatus(pair.value);
      else answer.headers.push(new Header(pair.key.toLowerCase(), pair.value));
    }
  }
  if (bodySize > 0) {
    const bytes = getBufferBytes(BufferType.HttpCallResponseBody, 0, bodySize);
    if (bytes != null) answer.body = utf8Decode(Uint8Array.wrap(bytes));
  }
  return answer;
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
