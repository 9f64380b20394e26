// The access phase: drives the core's flow with as few PDK round trips as the policy allows —
// headers once, path/method/client IP only when a decision needs them, upstream and response
// headers in one batch each.
import { LogContext, decisionLogLines, wantsDecisionLines } from "../../shared/src/decision-log";
import { Engine, Flow, RequestView, Step } from "../../shared/src/engine";
import { Header } from "../../shared/src/headers";
import { NO_CALL_MADE, callAuthService, type AuthAnswer } from "./auth-client";
import { isAuthServiceFailure } from "./circuit-breaker";
import { nowMs } from "./clock";
import { BREAKER_REJECTED_TOTAL } from "./metrics";
import type { HeaderMap, KongPdk } from "./pdk";
import { flushOperationalLog, writeDecisionLog } from "./plugin-logs";
import type { PolicyRuntime } from "./runtime";

/** Kong's get_headers reads at most 1000 (it truncates beyond): more than the core's limit in any case. */
const KONG_GET_HEADERS_MAX = 1000;

export async function runAccess(kong: KongPdk, runtime: PolicyRuntime): Promise<void> {
  const engine = runtime.engine;
  const request = new RequestView();
  // Header names and values, path and method arrive as byte strings (meshgate-pluginserver decodes them so).
  const raw = await kong.request.getHeaders(KONG_GET_HEADERS_MAX);
  // nginx has no header-count limit: the core applies the rule to the lines Kong read (DECISIONS.md §1.2).
  request.headerLines = countValues(raw);
  request.headers = headersFromKong(raw);
  request.path = await kong.request.getPathWithQuery();
  if (engine.needsMethod) request.method = await kong.request.getMethod();

  const flow = engine.begin(request, nowMs());
  let authLatencyMs = -1;
  for (let steps = 0; steps < MAX_FLOW_STEPS; steps++) {
    switch (flow.step) {
      case Step.ClientIp:
        engine.onClientIp(flow, (await kong.client.getForwardedIp()) ?? "", nowMs());
        break;
      case Step.LookupCache:
        engine.onCacheResult(flow, runtime.decisions.get(flow.cacheKey) ?? null, nowMs());
        break;
      case Step.CallAuth: {
        const answer = await singleFlightAuth(runtime, flow);
        authLatencyMs = answer.latencyMs;
        feedAuthAnswer(engine, flow, answer, runtime);
        break;
      }
      case Step.Keys:
        engine.onKeys(flow, await runtime.jwks!.keysFor(flow.keysRefetch), nowMs());
        rememberDecision(runtime, flow);
        break;
      case Step.Limit:
        await applyLimit(runtime, flow);
        break;
      case Step.Reject:
        runtime.metrics.recordDecision(flow);
        logDecision(engine, flow, authLatencyMs);
        await flushOperationalLog(kong);
        return reject(kong, flow);
      default:
        runtime.metrics.recordDecision(flow);
        logDecision(engine, flow, authLatencyMs);
        await flushOperationalLog(kong);
        return forward(kong, runtime, flow);
    }
  }
  throw new Error("the request flow did not finish"); // answered with the failure status by the handler
}

/** The engine always finishes in a few steps; a flow that does not is refused, never left hanging. */
const MAX_FLOW_STEPS = 16;

function singleFlightAuth(runtime: PolicyRuntime, flow: Flow): Promise<AuthAnswer> {
  const key = flow.cacheKey;
  const joined = runtime.inflight.get(key);
  if (joined) return joined;
  const request = flow.authRequest!;
  const breaker = runtime.breakers.forUrl(request.url);
  const permit = breaker ? breaker.acquire(nowMs()) : "call";
  if (permit === "rejected") {
    runtime.metrics.increment(BREAKER_REJECTED_TOTAL);
    return Promise.resolve(BREAKER_OPEN);
  }
  const pending = callAuthService(request).then((answer) => {
    breaker?.record(permit, isAuthServiceFailure(answer), nowMs(), answer.kind === "failure" ? answer.failure : `status ${answer.status}`);
    if (answer.kind === "response" || !NO_CALL_MADE.has(answer.failure)) runtime.metrics.recordAuthCall(answer);
    return answer;
  }, (error: unknown) => {
    breaker?.record(permit, true, nowMs(), "exception");
    throw error;
  }).finally(() => runtime.inflight.delete(key));
  runtime.inflight.set(key, pending);
  return pending;
}

const BREAKER_OPEN: AuthAnswer = { kind: "failure", failure: "breaker_open", latencyMs: 0 };

function feedAuthAnswer(engine: Engine, flow: Flow, answer: AuthAnswer, runtime: PolicyRuntime): void {
  const now = nowMs();
  if (answer.kind === "failure") {
    engine.onAuthFailure(flow, answer.failure, now);
    return;
  }
  // Header values (undici gives latin1) and body as byte strings: the core reads them as text (DECISIONS.md §3.3).
  engine.onAuthResponse(flow, answer.status, answer.headers, answer.body.toString("latin1"), now);
  rememberDecision(runtime, flow);
}

/** Stores the decision the flow made (after an auth answer or a local JWT verification), if it is cacheable. */
function rememberDecision(runtime: PolicyRuntime, flow: Flow): void {
  const entry = flow.toCache;
  if (entry) runtime.decisions.set(flow.cacheKey, entry, { ttl: Math.max(1, entry.staleUntilMs - nowMs()) });
}

/**
 * Decision logs on the plugin server's output (plugin-logs.ts says why not kong.log), only for the decisions the
 * policy logs (by default never a plain cache-hit allow). The JSON carries the client's x-request-id when there
 * is one. Kong writes the line at INFO whatever the policy's `log.level`.
 */
function logDecision(engine: Engine, flow: Flow, authLatencyMs: number): void {
  const requestId = firstValue(flow.request.headers, "x-request-id");
  if (!wantsDecisionLines(engine.policy.log, flow, requestId)) return;
  const context = new LogContext();
  context.plane = "kong";
  context.requestId = requestId;
  context.timeMs = nowMs();
  context.authLatencyMs = authLatencyMs;
  for (const line of decisionLogLines(engine.policy, flow, context)) writeDecisionLog(line);
}

function firstValue(headers: Header[], name: string): string {
  for (const h of headers) if (h.name === name) return h.value;
  return "";
}

async function applyLimit(runtime: PolicyRuntime, flow: Flow): Promise<void> {
  const now = nowMs();
  const verdict = await runtime.limiter.check(runtime.engine, flow, now);
  if ("unavailable" in verdict) {
    runtime.engine.onLimitUnavailable(flow, now);
    return;
  }
  runtime.engine.onLimitResult(flow, verdict.verdict, now, verdict.fallback);
}

async function forward(kong: KongPdk, runtime: PolicyRuntime, flow: Flow): Promise<void> {
  const upstream = toHeaderMap(flow.upstreamHeaders);
  // The core lists the owned headers the client sent that meshgate does not set again (a set replaces them).
  for (const name of flow.stripHeaders) await kong.service.request.clearHeader(name);
  if (Object.keys(upstream).length > 0) await kong.service.request.setHeaders(upstream);
  if (flow.responseHeaders.length > 0) await kong.response.setHeaders(toHeaderMap(flow.responseHeaders));
  if (flow.canary?.canary) await routeToCanary(kong, runtime);
}

async function routeToCanary(kong: KongPdk, runtime: PolicyRuntime): Promise<void> {
  const target = runtime.engine.policy.canary.kong; // routes may not override it (policy-routes.ts)
  if (target.upstream.length > 0) {
    const found = await kong.service.setUpstream(target.upstream);
    if (!found) await kong.log.err(`canary upstream '${target.upstream}' is not a Kong Upstream entity; request stays on the service`);
  } else if (target.host.length > 0) {
    await kong.service.setTarget(target.host, target.port);
  }
}

function reject(kong: KongPdk, flow: Flow): Promise<void> {
  const response = flow.response!;
  return kong.response.exit(response.status, response.body, toHeaderMap(response.headers));
}

/** meshgate's plugin server hands a header named `__proto__` over under this name (msgpack cannot decode it). */
const PROTO_STANDIN = "__proto_:";

export function headersFromKong(raw: Record<string, string | string[]>): Header[] {
  const out: Header[] = [];
  for (const [name, value] of Object.entries(raw)) {
    const lower = name === PROTO_STANDIN ? "__proto__" : asciiLower(name);
    if (Array.isArray(value)) for (const v of value) out.push(new Header(lower, String(v)));
    else out.push(new Header(lower, String(value)));
  }
  return out;
}

/** Lower-cases A–Z only: a byte string's other characters are bytes, not letters. */
function asciiLower(name: string): string {
  return /[A-Z]/.test(name) ? name.replace(/[A-Z]+/g, (run) => run.toLowerCase()) : name;
}

function countValues(raw: Record<string, string | string[]>): number {
  let n = 0;
  for (const value of Object.values(raw)) n += Array.isArray(value) ? value.length : 1;
  return n;
}

export function toHeaderMap(headers: Header[]): HeaderMap {
  const map: HeaderMap = Object.create(null) as HeaderMap; // a header named `__proto__` is a key like any other
  for (const h of headers) {
    const existing = map[h.name];
    if (existing === undefined) map[h.name] = h.value;
    else map[h.name] = Array.isArray(existing) ? [...existing, h.value] : [existing, h.value];
  }
  return map;
}
