// Conformance kinds for rate limiting and canary: gcra.params, gcra.sequence, ratelimit.headers,
// ratelimit.body, canary.decide, canary.headers. Policies are built straight from the input fields
// (no policy parser), so these vectors test the decisions alone.
import { CanaryDecision, canaryHeaders, decideCanary } from "../src/canary";
import { GcraParams, GcraResult, gcraParams, gcraStep, gcraStepAll, gcraWindows } from "../src/gcra";
import { Header } from "../src/headers";
import { JsonValue } from "../src/json";
import { CanaryPolicy, LimitHeaders, LimitWindow, RateLimitPolicy } from "../src/policy";
import { RATE_LIMITED_CONTENT_TYPE, rateLimitHeaders, rateLimitedBody } from "../src/ratelimit-headers";
import { boolean, num, str, strings } from "./inputs";

export function runLimits(kind: string, input: JsonValue): JsonValue | null {
  if (kind == "gcra.params") {
    // input: { rate, periodSeconds, burst } → { emissionUs, toleranceUs }
    const params = gcraParams(rateLimitPolicyOf(input));
    return JsonValue.object().setNumber("emissionUs", params.emissionUs).setNumber("toleranceUs", params.toleranceUs);
  }
  if (kind == "gcra.sequence") {
    // input: { rate, periodSeconds, burst, tatUs?, requestsAtMs: [..] } → { results: [..] }, state threaded
    return gcraSequence(gcraParams(rateLimitPolicyOf(input)), num(input, "tatUs", 0), input.get("requestsAtMs"));
  }
  if (kind == "gcra.windows") {
    // input: { windows: [{rate, periodSeconds, burst}], tats?: [..], requestsAtMs: [..] }
    //   → { results: [{allowed, binding, tats, windows: [{allowed, remaining, resetUs, retryAfterUs}]}] }, state threaded
    return gcraWindowSequence(input);
  }
  if (kind == "ratelimit.headers") {
    // input: { policy: {rate, periodSeconds, burst, headers, name}, result: {allowed, remaining, resetUs, retryAfterUs} }
    const policy = rateLimitPolicyOf(objectOf(input.get("policy")));
    const r = objectOf(input.get("result"));
    const result = new GcraResult();
    result.allowed = boolean(r, "allowed", true);
    result.remaining = int(r, "remaining", 0);
    result.resetUs = num(r, "resetUs", 0);
    result.retryAfterUs = num(r, "retryAfterUs", 0);
    return JsonValue.object().set("headers", headersJson(rateLimitHeaders(policy, result)));
  }
  if (kind == "ratelimit.body") {
    // input: { policy: {name, status} } → { contentType, body }
    const policy = rateLimitPolicyOf(objectOf(input.get("policy")));
    return JsonValue.object().setString("contentType", RATE_LIMITED_CONTENT_TYPE).setString("body", rateLimitedBody(policy));
  }
  if (kind == "canary.decide") {
    // input: { policy, subject, groups, anonymous, clientIp, override } → { canary, reason, bucket }
    const policy = canaryPolicyOf(objectOf(input.get("policy")));
    const d = decideCanary(policy, str(input, "subject", ""), strings(input, "groups"), boolean(input, "anonymous", false),
      str(input, "clientIp", ""), str(input, "override", ""));
    return JsonValue.object().setBool("canary", d.canary).setString("reason", d.reason).setNumber("bucket", f64(d.bucket));
  }
  if (kind == "canary.headers") {
    // input: { policy, decision: {canary}, baggage } → { headers: [[n, v], ..] }
    const policy = canaryPolicyOf(objectOf(input.get("policy")));
    const d = new CanaryDecision();
    d.canary = boolean(objectOf(input.get("decision")), "canary", false);
    return JsonValue.object().set("headers", headersJson(canaryHeaders(policy, d, str(input, "baggage", ""))));
  }
  return null;
}

function gcraSequence(params: GcraParams, initialTat: f64, times: JsonValue | null): JsonValue {
  const results = JsonValue.array();
  let tat = initialTat;
  if (times != null && times.isArray()) {
    for (let i = 0; i < times.items.length; i++) {
      const r = gcraStep(params, tat, times.items[i].num);
      tat = r.newTatUs;
      results.push(JsonValue.object().setBool("allowed", r.allowed).setNumber("tatUs", r.newTatUs)
        .setNumber("remaining", f64(r.remaining)).setNumber("resetUs", r.resetUs).setNumber("retryAfterUs", r.retryAfterUs));
    }
  }
  return JsonValue.object().set("results", results);
}

function gcraWindowSequence(input: JsonValue): JsonValue {
  const policy = new RateLimitPolicy();
  const list = input.get("windows");
  if (list != null && list.isArray()) {
    for (let i = 0; i < list.items.length; i++) {
      const w = new LimitWindow();
      const item = objectOf(list.items[i]);
      w.rate = int(item, "rate", 1);
      w.periodSeconds = int(item, "periodSeconds", 1);
      w.burst = int(item, "burst", 0);
      policy.limits.push(w);
    }
  }
  const windows = gcraWindows(policy);
  let tats = new Array<f64>();
  const initial = input.get("tats");
  if (initial != null && initial.isArray()) for (let i = 0; i < initial.items.length; i++) tats.push(initial.items[i].num);
  const results = JsonValue.array();
  const times = input.get("requestsAtMs");
  if (times != null && times.isArray()) {
    for (let i = 0; i < times.items.length; i++) {
      const v = gcraStepAll(windows, tats, times.items[i].num);
      tats = v.tatsToStore(tats);
      const perWindow = JsonValue.array();
      for (let j = 0; j < v.windows.length; j++) {
        const r = v.windows[j];
        perWindow.push(JsonValue.object().setBool("allowed", r.allowed).setNumber("remaining", f64(r.remaining))
          .setNumber("resetUs", r.resetUs).setNumber("retryAfterUs", r.retryAfterUs));
      }
      const stored = JsonValue.array();
      for (let j = 0; j < tats.length; j++) stored.push(JsonValue.ofNumber(tats[j]));
      results.push(JsonValue.object().setBool("allowed", v.allowed).setNumber("binding", f64(v.binding)).set("tats", stored).set("windows", perWindow));
    }
  }
  return JsonValue.object().set("results", results);
}

function rateLimitPolicyOf(input: JsonValue): RateLimitPolicy {
  const p = new RateLimitPolicy();
  p.rate = int(input, "rate", f64(p.rate));
  p.periodSeconds = int(input, "periodSeconds", f64(p.periodSeconds));
  p.burst = int(input, "burst", f64(p.burst));
  p.name = str(input, "name", p.name);
  p.status = int(input, "status", f64(p.status));
  const style = str(input, "headers", "ietf");
  p.headers = style == "legacy" ? LimitHeaders.Legacy : style == "none" ? LimitHeaders.None : LimitHeaders.Ietf;
  return p;
}

function canaryPolicyOf(input: JsonValue): CanaryPolicy {
  const p = new CanaryPolicy();
  p.overrideHeader = str(input, "overrideHeader", p.overrideHeader);
  p.overrideGroups = strings(input, "overrideGroups");
  p.overrideSubjects = strings(input, "overrideSubjects");
  p.basisPoints = int(input, "basisPoints", f64(p.basisPoints));
  p.salt = str(input, "salt", p.salt);
  p.tagHeader = str(input, "tagHeader", p.tagHeader);
  p.baggageKey = str(input, "baggageKey", p.baggageKey);
  return p;
}

function objectOf(v: JsonValue | null): JsonValue {
  return v != null && v.isObject() ? v : JsonValue.object();
}

function headersJson(headers: Array<Header>): JsonValue {
  const arr = JsonValue.array();
  for (let i = 0; i < headers.length; i++) {
    arr.push(JsonValue.array().push(JsonValue.ofString(headers[i].name)).push(JsonValue.ofString(headers[i].value)));
  }
  return arr;
}

/** An integer input clamped to the i32 range (asc and JS convert out-of-range doubles differently). */
function int(input: JsonValue, key: string, fallback: f64): i32 {
  const v = Math.trunc(num(input, key, fallback));
  if (!(v == v)) return 0;
  if (v > 2147483647) return 2147483647;
  if (v < -2147483648) return -2147483648;
  return i32(v);
}
