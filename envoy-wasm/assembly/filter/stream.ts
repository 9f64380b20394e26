// One HTTP stream: runs the core's flow over the request headers, pausing the request while the auth
// service is asked, and applies the outcome (headers upstream, a local reply, response headers).
import { Engine, Flow, RequestView, Step } from "../../../shared/src/engine";
import { Header } from "../../../shared/src/headers";
import {
  Action, addHeader, continueStream, getHeaderPairs, getPropertyString, HttpContext, MapType, nowMs, Pair, removeHeader,
  replaceHeader, sendLocalResponse, StreamType,
} from "../abi";
import { MeshgateRoot } from "./root";

const MAX_FLOW_STEPS: i32 = 16;

/** What the auth call produced: a status with headers and body, or a transport failure. */
export class AuthAnswer {
  failure: string = "";
  status: i32 = 0;
  headers: Array<Header> = new Array<Header>();
  body: string = "";
}

export class MeshgateStream extends HttpContext {
  private flow: Flow | null = null;
  private paused: bool = false;

  onRequestHeaders(numHeaders: u32, endOfStream: bool): Action {
    const root = this.root as MeshgateRoot;
    const engine = root.engine;
    if (engine == null) {
      sendLocalResponse(503, "meshgate_not_configured", new ArrayBuffer(0), []);
      return Action.Pause;
    }
    const request = new RequestView();
    const pairs = getHeaderPairs(MapType.HttpRequestHeaders);
    if (pairs != null) {
      for (let i = 0; i < pairs.length; i++) {
        const pair = pairs[i];
        if (pair.key.startsWith(":")) {
          if (pair.key == ":method") request.method = pair.value;
          else if (pair.key == ":path") request.path = pair.value;
        } else {
          request.headers.push(new Header(pair.key, pair.value));
        }
      }
    }
    this.flow = engine.begin(request, nowMs());
    return this.drive(engine);
  }

  onAuthAnswer(answer: AuthAnswer): void {
    const root = this.root as MeshgateRoot;
    const flow = this.flow;
    const engine = root.engine;
    if (flow == null || engine == null) return;
    const now = nowMs();
    if (answer.failure.length > 0) engine.onAuthFailure(flow, answer.failure, now);
    else engine.onAuthResponse(flow, answer.status, answer.headers, answer.body, now);
    const entry = flow.toCache;
    if (entry != null) root.decisions!.put(flow.cacheKey, entry);
    this.drive(engine);
  }

  onResponseHeaders(numHeaders: u32, endOfStream: bool): Action {
    const flow = this.flow;
    if (flow != null) {
      for (let i = 0; i < flow.responseHeaders.length; i++) {
        addHeader(MapType.HttpResponseHeaders, flow.responseHeaders[i].name, flow.responseHeaders[i].value);
      }
    }
    return Action.Continue;
  }

  onLog(): void {
    const flow = this.flow;
    const metrics = (this.root as MeshgateRoot).metrics;
    if (flow != null && metrics != null) metrics.record(flow);
  }

  private drive(engine: Engine): Action {
    const root = this.root as MeshgateRoot;
    const flow = this.flow!;
    for (let steps = 0; steps < MAX_FLOW_STEPS; steps++) {
      const step = flow.step;
      if (step == Step.LookupCache) {
        const now = nowMs();
        engine.onCacheResult(flow, root.decisions!.get(flow.cacheKey, now), now);
      } else if (step == Step.CallAuth) {
        if (root.requestAuth(this.id, flow.cacheKey, flow.authRequest!)) {
          this.paused = true;
          return Action.Pause;
        }
        engine.onAuthFailure(flow, "dispatch", nowMs());
      } else if (step == Step.Limit) {
        const now = nowMs();
        const limiter = root.limiter;
        const result = limiter != null ? limiter.check(engine, flow, now) : null;
        if (result == null) engine.onLimitUnavailable(flow, now);
        else engine.onLimitResult(flow, result, now);
      } else if (step == Step.ClientIp) {
        engine.onClientIp(flow, clientIp(), nowMs());
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
    for (let i = 0; i < flow.removeHeaders.length; i++) removeHeader(MapType.HttpRequestHeaders, flow.removeHeaders[i]);
    const headers = flow.upstreamHeaders;
    for (let i = 0; i < headers.length; i++) {
      let repeated = false;
      for (let j = 0; j < i; j++) if (headers[j].name == headers[i].name) repeated = true;
      if (repeated) addHeader(MapType.HttpRequestHeaders, headers[i].name, headers[i].value);
      else replaceHeader(MapType.HttpRequestHeaders, headers[i].name, headers[i].value);
    }
    // Header changes first: continue nulls the request header map (Envoy defers the resume itself).
    if (this.paused) {
      this.paused = false;
      continueStream(StreamType.HttpRequest);
    }
  }

  private reject(flow: Flow): void {
    const response = flow.response!;
    const headers = new Array<Pair>();
    for (let i = 0; i < response.headers.length; i++) headers.push(new Pair(response.headers[i].name, response.headers[i].value));
    sendLocalResponse(response.status, "meshgate_" + flow.reason, String.UTF8.encode(response.body), headers);
    this.paused = false;
  }
}

/** `source.address` is `ip:port` (`[v6]:port` for IPv6). */
function clientIp(): string {
  const address = getPropertyString(["source", "address"]);
  if (address == null) return "";
  if (address.startsWith("[")) {
    const end = address.indexOf("]");
    return end > 0 ? address.substring(1, end) : address;
  }
  const colon = address.lastIndexOf(":");
  return colon > 0 && address.indexOf(":") == colon ? address.substring(0, colon) : address;
}
