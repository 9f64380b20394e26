// Conformance kind `flow`: one request through the engine, with the answers the host would feed
// back at each step. Input:
//   { policy, request: {method, path, headers: [[n,v]…], clientIp, headerLines?}, now,
//     cache?: <encoded CachedDecision text> | null,          answer to LookupCache
//     auth?: {status, headers, body} | {failure: "timeout"},  answer to CallAuth
//     limit?: {tatUs} | {tats: [tatUs…]} | {unavailable: true}, state for Limit (default no state);
//             `fallback: true`: the shared store failed and the local one decided
//     lateClientIp?: string,                                   answer to ClientIp (request.clientIp "" = unknown)
//     keys?: <JWKS text> | null,                               answer to Keys (jwt mode; null/absent = no usable set)
//     refetchedKeys?: <JWKS text> | null }                     answer to Keys after an unknown kid (default: `keys`)
// Output: the steps taken and everything the host would act on.
import { CachedDecision, decodeCachedDecision, encodeCachedDecision } from "../src/decision";
import { Engine, Flow, RequestView, Step, stepName } from "../src/engine";
import { LogContext, decisionLogLine, decisionLogLines, wantsDecisionLog } from "../src/decision-log";
import { JsonValue } from "../src/json";
import { KeySet, parseKeySet } from "../src/jwks";
import { envoyStatName, labeledCounts } from "../src/metrics";
import { headersJson, headersOf, policyOf } from "./run-auth";
import { boolean, num, str, stringArray } from "./inputs";

// Kind `decision.log`: the same input plus `context: {plane, requestId, timeMs, authLatencyMs}`;
// output `{wanted, line}` (the decision-log line, whether or not the policy wants it logged).
// Kind `flow.record`: the same input; output what the decision records and what reaches the wire:
// `{steps, route, section, outcome, reason, shadows: [{section, outcome, reason, wouldStatus}], status (null =
//   forwarded), removeHeaders, stripHeaders, upstreamHeaders, responseHeaders, limitKey, limiterDegraded, canary,
//   counts: [{name, values, envoy}], lines}`.
export function runFlow(kind: string, input: JsonValue): JsonValue | null {
  if (kind != "flow" && kind != "decision.log" && kind != "flow.record") return null;
  const policy = policyOf(input);
  if (policy == null) return JsonValue.object().setString("harnessError", "invalid policy in input");
  const run = runRequest(new Engine(policy), input);
  if (kind == "flow") return describe(run.flow, run.steps, run.authRequest);
  const c = input.get("context");
  const context = new LogContext();
  if (c != null) {
    context.plane = str(c, "plane", "");
    context.requestId = str(c, "requestId", "");
    context.timeMs = num(c, "timeMs", 0);
    context.authLatencyMs = num(c, "authLatencyMs", -1);
  }
  if (kind == "flow.record") return record(run.flow, run.steps, decisionLogLines(policy, run.flow, context));
  return JsonValue.object()
    .setBool("wanted", wantsDecisionLog(policy.log, run.flow, context.requestId))
    .setString("line", decisionLogLine(policy, run.flow, context));
}

function record(flow: Flow, steps: JsonValue, lines: Array<string>): JsonValue {
  const shadows = JsonValue.array();
  for (let i = 0; i < flow.shadows.length; i++) {
    const s = flow.shadows[i];
    shadows.push(JsonValue.object().setString("section", s.section).setString("outcome", s.outcome).setString("reason", s.reason)
      .setNumber("wouldStatus", f64(s.wouldStatus)));
  }
  const counts = JsonValue.array();
  const labeled = labeledCounts(flow);
  for (let i = 0; i < labeled.length; i++) {
    counts.push(JsonValue.object().setString("name", labeled[i].name).set("values", stringArray(labeled[i].values))
      .setString("envoy", envoyStatName(labeled[i])));
  }
  const response = flow.response;
  const canary = flow.canary;
  return JsonValue.object().set("steps", steps).setString("route", flow.route.name).setString("section", flow.section)
    .setString("outcome", flow.outcome).setString("reason", flow.reason).set("shadows", shadows)
    .set("status", response != null ? JsonValue.ofNumber(f64(response.status)) : JsonValue.nul())
    .set("removeHeaders", stringArray(flow.removeHeaders)).set("stripHeaders", stringArray(flow.stripHeaders))
    .set("upstreamHeaders", headersJson(flow.upstreamHeaders))
    .set("responseHeaders", headersJson(flow.responseHeaders)).setString("limitKey", flow.limitKey)
    .setBool("limiterDegraded", flow.limiterDegraded)
    .set("canary", canary != null ? JsonValue.object().setBool("canary", canary.canary).setString("reason", canary.reason) : JsonValue.nul())
    .set("counts", counts).set("lines", stringArray(lines));
}

class FlowRun {
  constructor(public flow: Flow, public steps: JsonValue, public authRequest: JsonValue) {}
}

function runRequest(engine: Engine, input: JsonValue): FlowRun {
  const request = new RequestView();
  const r = input.get("request");
  if (r != null) {
    request.method = str(r, "method", "GET");
    request.path = str(r, "path", "/");
    request.headers = headersOf(r.get("headers"));
    request.headerLines = i32(num(r, "headerLines", -1));
    request.clientIp = str(r, "clientIp", "");
  }
  const now = num(input, "now", 0);
  const flow = engine.begin(request, now);
  const steps = JsonValue.array();
  let authRequestJson: JsonValue = JsonValue.nul();
  for (let guard = 0; guard < 10; guard++) {
    steps.push(JsonValue.ofString(stepName(flow.step)));
    if (flow.step == Step.Forward || flow.step == Step.Reject) break;
    if (flow.step == Step.LookupCache) {
      const cached = input.get("cache");
      let entry: CachedDecision | null = null;
      if (cached != null && cached.isString()) entry = decodeCachedDecision(cached.str);
      engine.onCacheResult(flow, entry, now);
    } else if (flow.step == Step.CallAuth) {
      const a = flow.authRequest!;
      authRequestJson = JsonValue.object().setString("method", a.method).setString("path", a.path)
        .set("headers", headersJson(a.headers)).setString("body", a.body);
      const answer = input.get("auth");
      if (answer == null || answer.has("failure")) {
        engine.onAuthFailure(flow, answer != null ? str(answer, "failure", "timeout") : "timeout", now);
      } else {
        engine.onAuthResponse(flow, i32(num(answer, "status", 0)), headersOf(answer.get("headers")), str(answer, "body", ""), now);
      }
    } else if (flow.step == Step.Keys) {
      const answer = flow.keysRefetch && input.has("refetchedKeys") ? input.get("refetchedKeys") : input.get("keys");
      engine.onKeys(flow, answer != null && answer.isString() ? keySetOf(answer.str) : null, now);
    } else if (flow.step == Step.ClientIp) {
      engine.onClientIp(flow, str(input, "lateClientIp", ""), now);
    } else if (flow.step == Step.Limit) {
      const limit = input.get("limit");
      if (limit != null && boolean(limit, "unavailable", false)) engine.onLimitUnavailable(flow, now);
      else {
        const tats = limitTats(limit);
        engine.onLimitResult(flow, engine.evaluateLimit(flow, tats, now), now, limit != null && boolean(limit, "fallback", false));
      }
    }
  }
  return new FlowRun(flow, steps, authRequestJson);
}

function keySetOf(text: string): KeySet | null {
  return parseKeySet(text).keySet;
}

function limitTats(limit: JsonValue | null): Array<f64> {
  const tats = new Array<f64>();
  if (limit == null) return tats;
  const list = limit.get("tats");
  if (list != null && list.isArray()) {
    for (let i = 0; i < list.items.length; i++) tats.push(list.items[i].isNumber() ? list.items[i].num : 0);
  } else {
    tats.push(num(limit, "tatUs", 0));
  }
  return tats;
}

function describe(flow: Flow, steps: JsonValue, authRequest: JsonValue): JsonValue {
  const out = JsonValue.object().set("steps", steps).setString("outcome", flow.outcome).setString("reason", flow.reason)
    .setString("cacheState", flow.cacheState).set("authRequest", authRequest);
  const response = flow.response;
  if (response != null) {
    out.set("response", JsonValue.object().setNumber("status", f64(response.status)).set("headers", headersJson(response.headers)).setString("body", response.body));
  } else {
    out.set("removeHeaders", stringArray(flow.removeHeaders)).set("upstreamHeaders", headersJson(flow.upstreamHeaders));
    out.set("stripHeaders", stringArray(flow.stripHeaders));
  }
  out.setString("route", flow.route.name);
  out.set("responseHeaders", headersJson(flow.responseHeaders));
  out.setString("limitKey", flow.limitKey);
  const limit = flow.limitResult;
  out.set("newTatUs", limit != null && limit.allowed ? JsonValue.ofNumber(limit.windows[0].newTatUs) : JsonValue.nul());
  if (limit != null && limit.windows.length > 1) {
    const tats = JsonValue.array();
    for (let i = 0; i < limit.windows.length; i++) tats.push(JsonValue.ofNumber(limit.windows[i].newTatUs));
    out.set("newTats", tats).setBool("allowed", limit.allowed);
  }
  const toCache = flow.toCache;
  out.set("toCache", toCache != null ? JsonValue.ofString(encodeCachedDecision(toCache)) : JsonValue.nul());
  const canary = flow.canary;
  out.set("canary", canary != null ? JsonValue.object().setBool("canary", canary.canary).setString("reason", canary.reason) : JsonValue.nul());
  out.setBool("degraded", flow.degraded).setString("subject", flow.subject).setBool("limiterDegraded", flow.limiterDegraded);
  return out;
}
