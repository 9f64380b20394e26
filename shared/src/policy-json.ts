// The effective policy as JSON, in the document's field names with every default filled in
// (shared/README.md, "For developers"). Used by conformance and by planes that log their configuration.
import { JsonValue, parseJson } from "./json";
import {
  AuthMode, AuthPolicy, CanaryPolicy, FailMode, LimitHeaders, LimitKeyKind, LimitStore, LogPolicy, Policy, RateLimitPolicy,
  TokenSourceKind,
} from "./policy";

export function policyToJson(policy: Policy): JsonValue {
  return JsonValue.object()
    .set("auth", authToJson(policy.auth))
    .set("canary", canaryToJson(policy.canary))
    .set("rateLimit", rateLimitToJson(policy.rateLimit))
    .set("log", logToJson(policy.log));
}

function strings(values: Array<string>): JsonValue {
  const out = JsonValue.array();
  for (let i = 0; i < values.length; i++) out.push(JsonValue.ofString(values[i]));
  return out;
}

function authToJson(auth: AuthPolicy): JsonValue {
  const service = JsonValue.object()
    .setString("url", auth.service.url)
    .setString("cluster", auth.service.cluster)
    .setString("authority", auth.service.authority)
    .setString("path", auth.service.path);
  const sources = JsonValue.array();
  for (let i = 0; i < auth.tokenSources.length; i++) {
    const source = auth.tokenSources[i];
    const item = JsonValue.object();
    if (source.kind == TokenSourceKind.Header) {
      item.setString("type", "header").setString("name", source.name).setString("scheme", source.scheme);
    } else {
      item.setString("type", source.kind == TokenSourceKind.Cookie ? "cookie" : "query").setString("name", source.name);
    }
    sources.push(item);
  }
  const mappings = JsonValue.array();
  for (let i = 0; i < auth.headerMappings.length; i++) {
    mappings.push(JsonValue.object().setString("from", auth.headerMappings[i].from).setString("to", auth.headerMappings[i].to));
  }
  const cache = JsonValue.object()
    .setNumber("maxEntries", f64(auth.cache.maxEntries))
    .setNumber("ttlSeconds", auth.cache.ttlSeconds)
    .setNumber("negativeTtlSeconds", auth.cache.negativeTtlSeconds)
    .setNumber("staleIfErrorSeconds", auth.cache.staleIfErrorSeconds);
  let bodyRule = JsonValue.nul();
  const rule = auth.bodyRule;
  if (rule != null) {
    const expected = parseJson(rule.equals);
    bodyRule = JsonValue.object()
      .setString("pointer", rule.pointer)
      .set("equals", expected.ok() ? expected.value! : JsonValue.nul());
  }
  const failure = JsonValue.object()
    .setString("mode", auth.failure.mode == FailMode.Open ? "open" : "closed")
    .setNumber("status", f64(auth.failure.status))
    .set("openPaths", strings(auth.failure.openPaths))
    .setString("degradedHeader", auth.failure.degradedHeader);
  return JsonValue.object()
    .setBool("enabled", auth.enabled)
    .setString("mode", auth.mode == AuthMode.Forward ? "forward" : "introspection")
    .set("service", service)
    .setNumber("timeoutMs", f64(auth.timeoutMs))
    .set("tokenSources", sources)
    .setNumber("maxTokenLength", f64(auth.maxTokenLength))
    .set("forwardHeaders", strings(auth.forwardHeaders))
    .setString("introspectionAuthorization", auth.introspectionAuthorization)
    .set("identityHeaders", JsonValue.object().setString("subject", auth.subjectHeader).setString("groups", auth.groupsHeader))
    .set("headerMappings", mappings)
    .set("cache", cache)
    .set("bodyRule", bodyRule)
    .set("failure", failure)
    .set("anonymousPaths", strings(auth.anonymousPaths))
    .setString("realm", auth.realm)
    .setNumber("clockSkewSeconds", auth.clockSkewSeconds)
    .setBool("shadow", auth.shadow);
}

function canaryToJson(canary: CanaryPolicy): JsonValue {
  const target = canary.kong.host.length > 0 ? canary.kong.host + ":" + canary.kong.port.toString() : "";
  return JsonValue.object()
    .setBool("enabled", canary.enabled)
    .setString("overrideHeader", canary.overrideHeader)
    .set("overrideGroups", strings(canary.overrideGroups))
    .set("overrideSubjects", strings(canary.overrideSubjects))
    .setNumber("percentage", f64(canary.basisPoints) / 100)
    .setString("salt", canary.salt)
    .setString("tagHeader", canary.tagHeader)
    .setString("baggageKey", canary.baggageKey)
    .set("kong", JsonValue.object().setString("upstream", canary.kong.upstream).setString("target", target))
    .setBool("shadow", canary.shadow);
}

function rateLimitToJson(limit: RateLimitPolicy): JsonValue {
  let key = "subject";
  if (limit.keyKind == LimitKeyKind.Ip) key = "ip";
  else if (limit.keyKind == LimitKeyKind.Header) key = "header:" + limit.keyHeader;
  let headers = "ietf";
  if (limit.headers == LimitHeaders.Legacy) headers = "legacy";
  else if (limit.headers == LimitHeaders.None) headers = "none";
  const redis = JsonValue.object()
    .setString("host", limit.redis.host)
    .setNumber("port", f64(limit.redis.port))
    .setNumber("database", f64(limit.redis.database))
    .setString("username", limit.redis.username)
    .setString("password", limit.redis.password)
    .setNumber("timeoutMs", f64(limit.redis.timeoutMs))
    .setString("prefix", limit.redis.prefix);
  const out = JsonValue.object()
    .setBool("enabled", limit.enabled)
    .setString("key", key)
    .setNumber("rate", f64(limit.rate))
    .setNumber("periodSeconds", f64(limit.periodSeconds))
    .setNumber("burst", f64(limit.burst))
    .setString("policy", limit.store == LimitStore.Redis ? "redis" : "local")
    .setBool("faultTolerant", limit.faultTolerant)
    .set("redis", redis)
    .setString("headers", headers)
    .setString("name", limit.name)
    .setNumber("status", f64(limit.status));
  const pre = limit.preAuthIp;
  out.set("preAuthIp", pre.rate > 0
    ? JsonValue.object().setNumber("rate", f64(pre.rate)).setNumber("periodSeconds", f64(pre.periodSeconds)).setNumber("burst", f64(pre.burst))
    : JsonValue.nul());
  out.setBool("shadow", limit.shadow);
  return out;
}

const DECISION_LOG_MODE_NAMES: Array<string> = ["off", "errors", "all"];

function logToJson(log: LogPolicy): JsonValue {
  return JsonValue.object()
    .setString("decisions", DECISION_LOG_MODE_NAMES[log.decisions])
    .setNumber("sampleRate", f64(log.sampleBasisPoints) / 10000)
    .setString("level", log.level)
    .setBool("includeSubject", log.includeSubject);
}
