// Decision logs: one JSON line per decision, the same fields on both planes (written with kong.log on
// Kong, proxy_log on Envoy, after the response). Never a token or any part of one, never the path
// (a query can carry a token), and the subject only when the policy allows it.
import { fnv1a32 } from "./digest";
import { Flow, ShadowDecision } from "./engine";
import { JsonValue, stringifyJson } from "./json";
import { DecisionLogMode, LogPolicy, Policy } from "./policy";
import { utf8Encode } from "./utf8";

/** What the plane knows about the request beyond the flow. */
export class LogContext {
  plane: string = "";
  /** Kong's request id / Envoy's x-request-id; also the sampling key. */
  requestId: string = "";
  timeMs: f64 = 0;
  /** Duration of the auth call this request waited for, in ms (-1 = none). */
  authLatencyMs: f64 = -1;
}

/** Whether this decision gets a line: every decision that is not a plain allow from a fresh cache hit,
 *  and with `decisions: "all"` those too, sampled by a hash of the request id. */
export function wantsDecisionLog(log: LogPolicy, flow: Flow, requestId: string): bool {
  if (log.decisions == DecisionLogMode.Off) return false;
  // A shadowed auth passes every request on as `auth_shadow`: a cache hit there is as plain as an allow.
  const passed = flow.outcome == "allow" || flow.reason == "auth_shadow";
  const plainHit = passed && flow.cacheState == "hit" && !flow.limiterDegraded;
  if (!plainHit) return true;
  if (log.decisions != DecisionLogMode.All) return false;
  return i32(fnv1a32(utf8Encode(requestId)) % 10000) < log.sampleBasisPoints;
}

/** Whether decisionLogLines has any line for this decision: planes ask before they read a clock for the context. */
export function wantsDecisionLines(log: LogPolicy, flow: Flow, requestId: string): bool {
  if (log.decisions == DecisionLogMode.Off) return false;
  if (wantsDecisionLog(log, flow, requestId)) return true;
  const shadows = flow.shadows;
  for (let i = 0; i < shadows.length; i++) if (shadows[i].wouldStatus != 0) return true;
  return false;
}

/** Every line this decision gets, in order: the decision's own line when wanted, then one per shadowed section
 *  that would have refused the request, or every shadow line when the decision's own line is wanted. The one
 *  function both planes call. */
export function decisionLogLines(policy: Policy, flow: Flow, ctx: LogContext): Array<string> {
  const lines = new Array<string>();
  if (!wantsDecisionLines(policy.log, flow, ctx.requestId)) return lines;
  const wanted = wantsDecisionLog(policy.log, flow, ctx.requestId);
  if (wanted) lines.push(decisionLogLine(policy, flow, ctx));
  const shadows = flow.shadows;
  for (let i = 0; i < shadows.length; i++) {
    if (wanted || shadows[i].wouldStatus != 0) lines.push(shadowLogLine(flow, shadows[i], ctx));
  }
  return lines;
}

/** What a shadowed section decided: `shadow: true`, its section, outcome, reason and the status it would have sent. */
export function shadowLogLine(flow: Flow, shadow: ShadowDecision, ctx: LogContext): string {
  return stringifyJson(JsonValue.object()
    .setNumber("time", ctx.timeMs)
    .setString("plane", ctx.plane)
    .setString("request_id", ctx.requestId)
    .setString("route", flow.route.name)
    .setString("section", shadow.section)
    .setBool("shadow", true)
    .setString("outcome", shadow.outcome)
    .setString("reason", shadow.reason)
    .setNumber("would_status", f64(shadow.wouldStatus)));
}

export function decisionLogLine(policy: Policy, flow: Flow, ctx: LogContext): string {
  const line = JsonValue.object()
    .setNumber("time", ctx.timeMs)
    .setString("plane", ctx.plane)
    .setString("request_id", ctx.requestId)
    .setString("route", flow.route.name)
    .setString("section", flow.section)
    .setBool("shadow", false)
    .setString("outcome", flow.outcome)
    .setString("reason", flow.reason)
    .setNumber("status", f64(flow.response != null ? flow.response!.status : 0))
    .setString("cache", flow.cacheState)
    .setNumber("auth_status", f64(flow.authStatus))
    .set("auth_latency_ms", ctx.authLatencyMs >= 0 ? JsonValue.ofNumber(Math.round(ctx.authLatencyMs * 1000) / 1000) : JsonValue.nul())
    .setString("limiter", flow.route.rateLimit.shadow ? "shadow" : limiterVerdict(flow))
    .setBool("degraded", flow.degraded);
  const canary = flow.canary;
  line.set("canary", canary != null ? JsonValue.ofString(canary.canary ? "canary" : "stable") : JsonValue.nul());
  line.set("canary_reason", canary != null ? JsonValue.ofString(canary.reason) : JsonValue.nul());
  if (policy.log.includeSubject && flow.subject.length > 0) line.setString("subject", flow.subject);
  return stringifyJson(line);
}

function limiterVerdict(flow: Flow): string {
  if (flow.limiterDegraded) return "fallback";
  const result = flow.limitResult;
  if (result == null) return flow.reason == "limiter_unavailable" ? "unavailable" : "none";
  return result.allowed ? "allowed" : "rejected";
}
