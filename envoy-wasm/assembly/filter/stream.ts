// One HTTP stream: runs the core's flow over the request headers, pausing the request while the auth
// service is asked, and applies the outcome (headers upstream, a local reply, response headers).
// Host calls on a cache hit: read the request map, the clock, the limiter slot (read + CAS write), write
// the request map once, one add per RateLimit response header.
import { LogContext, decisionLogLines, wantsDecisionLines } from "../../../shared/src/decision-log";
import { Engine, Flow, LocalResponse, Step, tooManyHeadersResponse } from "../../../shared/src/engine";
import { Header, firstHeader } from "../../../shared/src/headers";
import {
  Action, addHeader, continueStream, getPropertyString, HttpContext, log, LogLevel, MapType, nowMs, Pair, sendLocalResponse,
  StreamType,
} from "../abi";
import { readRequestHeaders, ReceivedHeaders, writeRequestHeaders } from "./request-headers";
import { MeshgateRoot } from "./root";

const MAX_FLOW_STEPS: i32 = 16;
/** Not the policy's header-count rule (DECISIONS.md §1.2: Envoy's codec applies it, max_headers_count 100, before
 *  any filter; this map also holds pseudo-headers and what the proxy added): a guard for the map write-back below. */
const MAX_REQUEST_HEADERS: u32 = 1000;
/** cpp-host refuses a pairs write over 1 MiB; keep room for the headers meshgate adds. */
const MAX_REQUEST_HEADER_BYTES: usize = 1048576 - 65536;
const SOURCE_ADDRESS: Array<string> = ["source", "address"];

/** What the auth call produced: a status with headers and body, or a transport failure. */
export class AuthAnswer {
  failure: string = "";
  status: i32 = 0;
  headers: Array<Header> = new Array<Header>();
  body: string = "";
  /** How long the call took (ms). */
  latencyMs: f64 = -1;
}

export class MeshgateStream extends HttpContext {
  private flow: Flow | null = null;
  private authLatencyMs: f64 = -1;
  /** The request map as received: the core reads its headers, the map written back starts from it. */
  private received: ReceivedHeaders | null = null;
  private paused: bool = false;
  private askedAuth: bool = false;
  /** jwt mode: this stream already waited for a key set fetch (it never waits twice). */
  private waitedForKeys: bool = false;

  onRequestHeaders(numHeaders: u32, endOfStream: bool): Action {
    const root = this.root as MeshgateRoot;
    const engine = root.engine;
    if (engine == null) {
      sendLocalResponse(503, "meshgate_not_configured", new ArrayBuffer(0), []);
      return Action.Pause;
    }
    // The filter writes the request map back in one set_header_map_pairs; past 1024 pairs cpp-host reads that
    // write as an empty map and the request would go on with no headers at all. Refuse (only reachable when an
    // operator raised max_headers_count far beyond the policy's limit).
    if (numHeaders >= MAX_REQUEST_HEADERS) {
      sendCoreResponse(tooManyHeadersResponse(), "meshgate_too_many_headers");
      return Action.Pause;
    }
    const received = readRequestHeaders();
    if (received.byteSize > MAX_REQUEST_HEADER_BYTES) {
      received.release();
      sendCoreResponse(tooManyHeadersResponse(), "meshgate_too_many_headers");
      return Action.Pause;
    }
    this.received = received;
    const now = nowMs();
    this.flow = engine.begin(received, now);
    return this.drive(engine, now);
  }

  /** The answer to the auth call this stream waits on (the root made the stream the effective context). */
  onAuthAnswer(answer: AuthAnswer, now: f64, storeDecision: bool): void {
    const root = this.root as MeshgateRoot;
    const flow = this.flow;
    const engine = root.engine;
    if (flow == null || engine == null) return;
    this.authLatencyMs = answer.latencyMs;
    if (answer.failure.length > 0) engine.onAuthFailure(flow, answer.failure, now);
    else engine.onAuthResponse(flow, answer.status, answer.headers, answer.body, now);
    const entry = flow.toCache;
    // Every waiter of one call gets the same answer: the first one stores it for all of them.
    if (entry != null && storeDecision) root.decisions!.put(flow.cacheKey, entry);
    this.drive(engine, now);
  }

  /** jwt mode: the key set fetch this stream waited for ended (the root made it the effective context). */
  onKeysReady(now: f64): void {
    const engine = (this.root as MeshgateRoot).engine;
    if (this.flow == null || engine == null) return;
    this.drive(engine, now);
  }

  onResponseHeaders(numHeaders: u32, endOfStream: bool): Action {
    const flow = this.flow;
    if (flow != null) {
      const headers = flow.responseHeaders;
      for (let i = 0; i < headers.length; i++) addHeader(MapType.HttpResponseHeaders, unchecked(headers[i]).name, unchecked(headers[i]).value);
    }
    return Action.Continue;
  }

  onLog(): void {
    const flow = this.flow;
    const metrics = (this.root as MeshgateRoot).metrics;
    if (flow == null || metrics == null) return;
    writeDecisionLog(this.root as MeshgateRoot, flow, this.authLatencyMs);
    metrics.record(flow);
    if (this.askedAuth) metrics.flush();
    else metrics.flushIfDue();
  }

  private drive(engine: Engine, now: f64): Action {
    const root = this.root as MeshgateRoot;
    const flow = this.flow!;
    for (let steps = 0; steps < MAX_FLOW_STEPS; steps++) {
      const step = flow.step;
      if (step == Step.LookupCache) {
        engine.onCacheResult(flow, root.decisions!.get(flow.cacheKey, now), now);
      } else if (step == Step.CallAuth) {
        this.askedAuth = true;
        if (root.requestAuth(this.id, flow.cacheKey, flow.authRequest!, now)) {
          this.paused = true;
          return Action.Pause;
        }
        engine.onAuthFailure(flow, "dispatch", now);
      } else if (step == Step.Keys) {
        // null only when a reconfiguration left jwt mode while this stream waited: no keys, the failure mode.
        const jwks = root.jwks;
        if (jwks != null && !this.waitedForKeys && jwks.mustWait(this.id, flow.keysRefetch, now)) {
          this.waitedForKeys = true;
          this.paused = true;
          return Action.Pause;
        }
        engine.onKeys(flow, jwks != null ? jwks.usable(now) : null, now);
        const entry = flow.toCache;
        if (entry != null) root.decisions!.put(flow.cacheKey, entry);
      } else if (step == Step.Limit) {
        const limiter = root.limiter;
        const result = limiter != null ? limiter.check(engine, flow, now) : null;
        if (result == null) engine.onLimitUnavailable(flow, now);
        else engine.onLimitResult(flow, result, now);
      } else if (step == Step.ClientIp) {
        engine.onClientIp(flow, clientIp(), now);
      } else if (step == Step.Reject) {
        this.reject(flow);
        return Action.Pause;
      } else {
        this.forward(flow);
        return Action.Continue;
      }
    }
    // The engine always finishes in a few steps; if it ever did not, refuse rather than hang.
    sendLocalResponse(500, "meshgate_flow_did_not_finish", new ArrayBuffer(0), []);
    return Action.Pause;
  }

  private forward(flow: Flow): void {
    const received = this.received;
    if (received != null) {
      writeRequestHeaders(received, flow.stripHeaders, flow.upstreamHeaders);
      received.release();
    }
    // Header changes first: continue nulls the request header map (Envoy defers the resume itself).
    if (this.paused) {
      this.paused = false;
      continueStream(StreamType.HttpRequest);
    }
  }

  onDelete(): void {
    const received = this.received;
    if (received != null) received.release();
  }

  private reject(flow: Flow): void {
    sendCoreResponse(flow.response!, "meshgate_" + flow.reason);
    this.paused = false;
    const received = this.received;
    if (received != null) received.release();
  }
}

/** A reply the core built, as Envoy's local reply; `details` is the response code details Envoy logs. */
function sendCoreResponse(response: LocalResponse, details: string): void {
  const headers = new Array<Pair>();
  for (let i = 0; i < response.headers.length; i++) headers.push(new Pair(response.headers[i].name, response.headers[i].value));
  sendLocalResponse(response.status, details, String.UTF8.encode(response.body), headers);
}

/** `source.address` is `ip:port` (`[v6]:port` for IPv6). */
function clientIp(): string {
  const address = getPropertyString(SOURCE_ADDRESS);
  if (address == null) return "";
  if (address.startsWith("[")) {
    const end = address.indexOf("]");
    return end > 0 ? address.substring(1, end) : address;
  }
  const colon = address.lastIndexOf(":");
  return colon > 0 && address.indexOf(":") == colon ? address.substring(0, colon) : address;
}

/** Decision logs go through proxy_log at access-log time (after the response), as DECISIONS.md §8 says. */
function writeDecisionLog(root: MeshgateRoot, flow: Flow, authLatencyMs: f64): void {
  const policy = root.engine!.policy;
  const header = firstHeader(flow.request.headers, "x-request-id");
  const requestId = header != null ? header : "";
  if (!wantsDecisionLines(policy.log, flow, requestId)) return; // no clock read for a request that logs nothing
  const context = new LogContext();
  context.plane = "envoy";
  context.requestId = requestId;
  context.timeMs = nowMs();
  context.authLatencyMs = authLatencyMs;
  const lines = decisionLogLines(policy, flow, context);
  const level = policy.log.level;
  const logLevel = level == "debug" ? LogLevel.Debug : level == "warn" ? LogLevel.Warn : LogLevel.Info;
  for (let i = 0; i < lines.length; i++) log(logLevel, lines[i]);
}
