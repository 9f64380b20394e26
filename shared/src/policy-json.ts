// The effective policy as JSON, in the document's field names with every default filled in
// (shared/README.md, "For developers"). Used by conformance and by planes that log their configuration.
import { JsonValue, parseJson } from "./json";
import {
  AuthMode, AuthPolicy, AuthServiceAddress, CanaryPolicy, FailMode, FailureSettings, LimitHeaders, LimitKeyKind, LimitStore, LogPolicy, Policy, RateLimitPolicy,
  JwtSettings, TokenSourceKind,
} from "./policy";
import { AUTH_MODE_CHOICES } from "./policy-facts.generated";
import { Requirements, Route } from "./policy-routes";

export function policyToJson(policy: Policy): JsonValue {
  const routes = JsonValue.array();
  for (let i = 0; i < policy.routes.length; i++) routes.push(routeToJson(policy.routes[i]));
  return JsonValue.object()
    .set("auth", authToJson(policy.auth))
    .set("canary", canaryToJson(policy.canary))
    .set("rateLimit", rateLimitToJson(policy.rateLimit))
    .set("log", logToJson(policy.log))
    .set("require", requireToJson(policy.require))
    .set("routes", routes);
}

/** A route with the sections that apply on it (its overrides over the top-level ones). */
function routeToJson(route: Route): JsonValue {
  const headers = JsonValue.array();
  for (let i = 0; i < route.match.headers.length; i++) {
    const h = route.match.headers[i];
    const item = JsonValue.object().setString("name", h.name);
    headers.push(h.present ? item : item.setString("value", h.value));
  }
  return JsonValue.object()
    .setString("name", route.name)
    .set("match", JsonValue.object().set("paths", strings(route.match.paths)).set("methods", strings(route.match.methods)).set("headers", headers))
    .setBool("anonymous", route.anonymous)
    .set("auth", JsonValue.object().setBool("shadow", route.authShadow))
    .set("failure", failureToJson(route.failure))
    .set("require", requireToJson(route.require))
    .set("rateLimit", rateLimitToJson(route.rateLimit))
    .set("canary", canaryToJson(route.canary));
}

function requireToJson(require: Requirements): JsonValue {
  const claims = JsonValue.object();
  for (let i = 0; i < require.claimNames.length; i++) claims.set(require.claimNames[i], strings(require.claimValues[i]));
  return JsonValue.object()
    .set("scopes", strings(require.scopes))
    .set("anyScopes", strings(require.anyScopes))
    .set("groups", strings(require.groups))
    .set("audiences", strings(require.audiences))
    .set("claims", claims);
}

function failureToJson(failure: FailureSettings): JsonValue {
  return JsonValue.object()
    .setString("mode", failure.mode == FailMode.Open ? "open" : "closed")
    .setNumber("status", f64(failure.status))
    .set("openPaths", strings(failure.openPaths))
    .setString("degradedHeader", failure.degradedHeader);
}

function strings(values: Array<string>): JsonValue {
  const out = JsonValue.array();
  for (let i = 0; i < values.length; i++) out.push(JsonValue.ofString(values[i]));
  return out;
}

function authToJson(auth: AuthPolicy): JsonValue {
  const service = addressToJson(auth.service);
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
  const failure = failureToJson(auth.failure);
  const claimHeaders = JsonValue.object();
  for (let i = 0; i < auth.claimHeaders.length; i++) claimHeaders.setString(auth.claimHeaders[i].from, auth.claimHeaders[i].to);
  const out = JsonValue.object()
    .setBool("enabled", auth.enabled)
    .setString("mode", AUTH_MODE_CHOICES()[auth.mode])
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
    .set("claimHeaders", claimHeaders)
    .setBool("shadow", auth.shadow);
  // Only in jwt mode, so the other modes' normalized documents stay as they were.
  if (auth.mode == AuthMode.Jwt) out.set("jwt", jwtToJson(auth.jwt));
  return out;
}

/** Where a service is, read as `auth.service` and `auth.jwt.jwks` both are: Kong's URL, Envoy's cluster + authority + path. */
function addressToJson(address: AuthServiceAddress): JsonValue {
  return JsonValue.object()
    .setString("url", address.url)
    .setString("cluster", address.cluster)
    .setString("authority", address.authority)
    .setString("path", address.path);
}

function jwtToJson(jwt: JwtSettings): JsonValue {
  const jwks = addressToJson(jwt.jwks).setNumber("timeoutMs", f64(jwt.jwksTimeoutMs));
  return JsonValue.object()
    .set("jwks", jwks)
    .set("issuers", strings(jwt.issuers))
    .set("audiences", strings(jwt.audiences))
    .set("algorithms", strings(jwt.algorithms))
    .setNumber("clockSkewSeconds", jwt.clockSkewSeconds)
    .set("claims", JsonValue.object().setString("subject", jwt.subjectClaim).setString("groups", jwt.groupsClaim))
    .setNumber("refreshSeconds", f64(jwt.refreshSeconds))
    .setNumber("minRefetchSeconds", f64(jwt.minRefetchSeconds))
    .setNumber("staleSeconds", f64(jwt.staleSeconds));
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
  const limits = JsonValue.array();
  if (limit.limits.length == 0) {
    limits.push(JsonValue.object().setNumber("rate", f64(limit.rate)).setNumber("periodSeconds", f64(limit.periodSeconds))
      .setNumber("burst", f64(limit.burst)).setString("name", ""));
  }
  for (let i = 0; i < limit.limits.length; i++) {
    const w = limit.limits[i];
    limits.push(JsonValue.object().setNumber("rate", f64(w.rate)).setNumber("periodSeconds", f64(w.periodSeconds))
      .setNumber("burst", f64(w.burst)).setString("name", w.name));
  }
  // Every window enforced (one window: the rate/periodSeconds/burst above).
  out.set("limits", limits);
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
