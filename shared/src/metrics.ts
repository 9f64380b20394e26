// The metrics both planes emit: one vocabulary, and one mapping from a finished decision to the counters
// it increments, so a request counts the same on Kong and on Envoy. Names never carry a subject, token,
// IP or path (no high-cardinality labels): every series is fixed.
import { Flow } from "./engine";

export const AUTH_CALL_DURATION_MS: string = "meshgate_auth_call_duration_ms";
export const CACHE_ENTRIES: string = "meshgate_cache_entries";

/** Every counter, in a stable order (planes define them all up front). */
export function counterNames(): Array<string> {
  const names: Array<string> = [
    "meshgate_decisions_allow_total", "meshgate_decisions_deny_total", "meshgate_decisions_error_total",
    "meshgate_decisions_anonymous_total",
    "meshgate_cache_hit_total", "meshgate_cache_miss_total", "meshgate_cache_stale_total",
    "meshgate_auth_calls_2xx_total", "meshgate_auth_calls_4xx_total", "meshgate_auth_calls_5xx_total",
    "meshgate_auth_calls_timeout_total", "meshgate_auth_calls_connect_error_total",
    "meshgate_ratelimit_rejected_total", "meshgate_limiter_fallback_total", "meshgate_fail_open_total",
  ];
  const variants: Array<string> = ["canary", "stable"];
  const reasons: Array<string> = ["override", "percentage", "default"];
  for (let v = 0; v < variants.length; v++) {
    for (let r = 0; r < reasons.length; r++) names.push("meshgate_canary_" + variants[v] + "_" + reasons[r] + "_total");
  }
  return names;
}

/** Counters a finished flow increments (one decision = one count per applicable counter). */
export function decisionCounters(flow: Flow): Array<string> {
  const out = new Array<string>();
  if (flow.outcome.length > 0) out.push("meshgate_decisions_" + flow.outcome + "_total");
  if (flow.cacheState != "none") out.push("meshgate_cache_" + flow.cacheState + "_total");
  if (flow.reason == "rate_limited") out.push("meshgate_ratelimit_rejected_total");
  if (flow.limiterDegraded) out.push("meshgate_limiter_fallback_total");
  if (flow.degraded) out.push("meshgate_fail_open_total");
  const canary = flow.canary;
  if (canary != null) out.push("meshgate_canary_" + (canary.canary ? "canary" : "stable") + "_" + canary.reason + "_total");
  return out;
}

/** The counter for one completed auth-service call: an HTTP status, or a transport failure kind. */
export function authCallCounter(status: i32, failure: string): string {
  if (failure == "timeout") return "meshgate_auth_calls_timeout_total";
  if (failure.length > 0) return "meshgate_auth_calls_connect_error_total";
  if (status >= 200 && status < 300) return "meshgate_auth_calls_2xx_total";
  if (status >= 400 && status < 500) return "meshgate_auth_calls_4xx_total";
  return "meshgate_auth_calls_5xx_total";
}

// ---------------------------------------------------------------- labeled counters
// Every decision names its rule: route (from the policy), section and reason. Every label value comes from the
// policy or from the core's fixed vocabulary of reasons, so the number of series is bounded by the policy.

/** One count per decision: {route, section, outcome, reason}. */
export const DECISIONS_TOTAL: string = "meshgate_decisions_total";
/** One count per shadowed section per decision: {route, section, outcome, reason}. */
export const SHADOW_DECISIONS_TOTAL: string = "meshgate_shadow_decisions_total";
/** The labels of both labeled counters, in this order. */
export const DECISION_LABELS: Array<string> = ["route", "section", "outcome", "reason"];

/** One labeled count: the counter and its label values (in DECISION_LABELS order). */
export class LabeledCount {
  constructor(public name: string, public values: Array<string>) {}
}

/** The labeled counts a finished flow adds: its decision, then each shadowed section's, in flow order. */
export function labeledCounts(flow: Flow): Array<LabeledCount> {
  const out = new Array<LabeledCount>();
  out.push(new LabeledCount(DECISIONS_TOTAL, [flow.route.name, flow.section, flow.outcome, flow.reason]));
  const shadows = flow.shadows;
  for (let i = 0; i < shadows.length; i++) {
    const s = shadows[i];
    out.push(new LabeledCount(SHADOW_DECISIONS_TOTAL, [flow.route.name, s.section, s.outcome, s.reason]));
  }
  return out;
}

/** Proxy-wasm metrics carry no labels: Envoy extracts them from the stat name with `stats_tags` regexes. Each tag
 *  is written in Istio's encoding, `<tag>=.=<value>;.;`, which the regex `(<tag>=\.=(.*?);\.;)` removes into the
 *  tag (istio/istio tools/packaging/common/envoy_bootstrap.json). They follow the metric name with no separator, so
 *  the name left is exactly the metric's, and the raw stat name still starts with `meshgate_` (what a mesh's
 *  proxyStatsMatcher inclusion prefix matches). */
export function envoyStatName(count: LabeledCount): string {
  let name = count.name;
  for (let i = 0; i < DECISION_LABELS.length; i++) name += DECISION_LABELS[i] + "=.=" + count.values[i] + ";.;";
  return name;
}
