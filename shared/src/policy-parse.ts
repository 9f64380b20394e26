// Parses and validates the policy document (shared/README.md is the reference) into the Policy classes.
// Every error is collected, in document order, each naming its JSON path; an invalid document yields no policy.
import { JsonValue, parseJson, stringifyJson } from "./json";
import {
  AuthMode, AuthPolicy, AuthServiceAddress, BodyRule, CanaryPolicy, DecisionCacheSettings, FailMode, FailureSettings,
  HeaderMapping, KongCanaryTarget, LimitKeyKind, LimitWindow, LogPolicy, Policy, PreAuthIpLimit, RateLimitPolicy, RedisSettings, TokenSource, TokenSourceKind,
} from "./policy";
import {
  MemberWalk, PolicyErrors, choicePhrase, describeValue, isIntegerIn, itemPath, memberPath, readBool, readChoice, readInt, readNumber,
} from "./policy-reader";
import {
  AUTH_ANONYMOUS_PATHS_ITEM_PHRASE, AUTH_ANONYMOUS_PATHS_MAX_LENGTH, AUTH_ANONYMOUS_PATHS_PHRASE,
  AUTH_BODY_RULE_EQUALS_PHRASE, AUTH_BODY_RULE_POINTER_PHRASE, AUTH_CACHE_MAX_ENTRIES_MAX,
  AUTH_CACHE_MAX_ENTRIES_MIN, AUTH_CACHE_NEGATIVE_TTL_SECONDS_MAX, AUTH_CACHE_NEGATIVE_TTL_SECONDS_MIN,
  AUTH_CACHE_STALE_IF_ERROR_SECONDS_MAX, AUTH_CACHE_STALE_IF_ERROR_SECONDS_MIN, AUTH_CACHE_TTL_SECONDS_MAX,
  AUTH_CACHE_TTL_SECONDS_MIN, AUTH_CLOCK_SKEW_SECONDS_MAX, AUTH_CLOCK_SKEW_SECONDS_MIN, AUTH_ENABLED_DEFAULT,
  AUTH_FAILURE_OPEN_PATHS_MAX_LENGTH, AUTH_FAILURE_OPEN_PATHS_PHRASE, AUTH_FAILURE_STATUS_ALSO_ALLOWED,
  AUTH_FAILURE_STATUS_MAX, AUTH_FAILURE_STATUS_MIN, AUTH_FAILURE_STATUS_PHRASE, AUTH_FORWARD_HEADERS_ITEM_PHRASE,
  AUTH_FORWARD_HEADERS_MAX_LENGTH, AUTH_FORWARD_HEADERS_PHRASE, AUTH_HEADER_MAPPINGS_ITEM_FROM_MAX_LENGTH,
  AUTH_HEADER_MAPPINGS_ITEM_FROM_MIN_LENGTH, AUTH_HEADER_MAPPINGS_ITEM_FROM_PHRASE, AUTH_HEADER_MAPPINGS_MAX_LENGTH,
  AUTH_HEADER_MAPPINGS_PHRASE, AUTH_IDENTITY_HEADERS_SUBJECT_PHRASE, AUTH_INTROSPECTION_AUTHORIZATION_MAX_LENGTH,
  AUTH_INTROSPECTION_AUTHORIZATION_MIN_LENGTH, AUTH_INTROSPECTION_AUTHORIZATION_PHRASE, AUTH_MAX_TOKEN_LENGTH_MAX,
  AUTH_MAX_TOKEN_LENGTH_MIN, AUTH_REALM_PHRASE, AUTH_SERVICE_AUTHORITY_PHRASE, AUTH_SERVICE_CLUSTER_MAX_LENGTH,
  AUTH_SERVICE_CLUSTER_MIN_LENGTH, AUTH_SERVICE_CLUSTER_PHRASE, AUTH_SERVICE_PATH_PHRASE, AUTH_SERVICE_URL_PHRASE,
  AUTH_SHADOW_DEFAULT, AUTH_TIMEOUT_MS_MAX, AUTH_TIMEOUT_MS_MIN, AUTH_TOKEN_SOURCES_ITEM_NAME_COOKIE_MAX_LENGTH,
  AUTH_TOKEN_SOURCES_ITEM_NAME_COOKIE_MIN_LENGTH, AUTH_TOKEN_SOURCES_ITEM_NAME_COOKIE_PHRASE,
  AUTH_TOKEN_SOURCES_ITEM_NAME_HEADER_DEFAULT, AUTH_TOKEN_SOURCES_ITEM_NAME_HEADER_PHRASE,
  AUTH_TOKEN_SOURCES_ITEM_NAME_QUERY_PHRASE, AUTH_TOKEN_SOURCES_ITEM_SCHEME_HEADER_ONLY_MAX_LENGTH,
  AUTH_TOKEN_SOURCES_ITEM_SCHEME_HEADER_ONLY_MIN_LENGTH, AUTH_TOKEN_SOURCES_ITEM_SCHEME_HEADER_ONLY_PHRASE,
  AUTH_TOKEN_SOURCES_MAX_LENGTH, AUTH_TOKEN_SOURCES_MIN_LENGTH, AUTH_TOKEN_SOURCES_PHRASE,
  CANARY_BAGGAGE_KEY_MAX_LENGTH, CANARY_BAGGAGE_KEY_MIN_LENGTH, CANARY_BAGGAGE_KEY_PHRASE, CANARY_ENABLED_DEFAULT,
  CANARY_KONG_TARGET_PHRASE, CANARY_KONG_UPSTREAM_MAX_LENGTH, CANARY_KONG_UPSTREAM_MIN_LENGTH,
  CANARY_KONG_UPSTREAM_PHRASE, CANARY_OVERRIDE_GROUPS_ITEM_PHRASE, CANARY_OVERRIDE_GROUPS_MAX_LENGTH,
  CANARY_OVERRIDE_GROUPS_PHRASE, CANARY_OVERRIDE_SUBJECTS_ITEM_PHRASE, CANARY_OVERRIDE_SUBJECTS_MAX_LENGTH,
  CANARY_OVERRIDE_SUBJECTS_PHRASE, CANARY_PERCENTAGE_PHRASE, CANARY_SALT_MAX_LENGTH, CANARY_SALT_PHRASE,
  CANARY_SHADOW_DEFAULT, CANARY_TAG_HEADER_PHRASE, LOG_INCLUDE_SUBJECT_DEFAULT, LOG_SAMPLE_RATE_PHRASE,
  RATE_LIMIT_BURST_MAX, RATE_LIMIT_BURST_MIN, RATE_LIMIT_BURST_PHRASE, RATE_LIMIT_BURST_PHRASE_ABOVE,
  RATE_LIMIT_ENABLED_DEFAULT, RATE_LIMIT_FAULT_TOLERANT_DEFAULT, RATE_LIMIT_KEY_PHRASE, RATE_LIMIT_NAME_PHRASE,
  RATE_LIMIT_PERIOD_SECONDS_MAX, RATE_LIMIT_PERIOD_SECONDS_MIN, RATE_LIMIT_PRE_AUTH_IP_BURST_MAX,
  RATE_LIMIT_PRE_AUTH_IP_BURST_MIN, RATE_LIMIT_PRE_AUTH_IP_PERIOD_SECONDS_MAX,
  RATE_LIMIT_PRE_AUTH_IP_PERIOD_SECONDS_MIN, RATE_LIMIT_PRE_AUTH_IP_RATE_MAX, RATE_LIMIT_PRE_AUTH_IP_RATE_MIN,
  RATE_LIMIT_PRE_AUTH_IP_RATE_PHRASE, RATE_LIMIT_RATE_MAX, RATE_LIMIT_RATE_MIN, RATE_LIMIT_RATE_PHRASE,
  RATE_LIMIT_REDIS_DATABASE_MAX, RATE_LIMIT_REDIS_DATABASE_MIN, RATE_LIMIT_REDIS_HOST_MAX_LENGTH,
  RATE_LIMIT_REDIS_HOST_MIN_LENGTH, RATE_LIMIT_REDIS_HOST_PHRASE, RATE_LIMIT_REDIS_PASSWORD_MAX_LENGTH,
  RATE_LIMIT_REDIS_PASSWORD_PHRASE, RATE_LIMIT_REDIS_PORT_MAX, RATE_LIMIT_REDIS_PORT_MIN,
  RATE_LIMIT_REDIS_PREFIX_MAX_LENGTH, RATE_LIMIT_REDIS_PREFIX_PHRASE, RATE_LIMIT_REDIS_TIMEOUT_MS_MAX,
  RATE_LIMIT_REDIS_TIMEOUT_MS_MIN, RATE_LIMIT_REDIS_USERNAME_MAX_LENGTH, RATE_LIMIT_REDIS_USERNAME_PHRASE,
  RATE_LIMIT_SHADOW_DEFAULT, RATE_LIMIT_STATUS_MAX, RATE_LIMIT_STATUS_MIN,
  AUTH_MODE_CHOICES, AUTH_TOKEN_SOURCES_ITEM_TYPE_CHOICES, AUTH_FAILURE_MODE_CHOICES, LOG_LEVEL_CHOICES, LOG_DECISIONS_CHOICES,
  RATE_LIMIT_POLICY_CHOICES, RATE_LIMIT_HEADERS_CHOICES,
} from "./policy-facts.generated";
import { parseJwt } from "./policy-jwt";
import { deriveAuthorizationNeeds, parseClaimHeaders, parseLimits, parseRequire, parseRoutes } from "./policy-routes";
import {
  hasNoControl, isAuthority, isHeaderName, isHttpUrl, isJsonPointer, isPathRule, isRealm, isRequestPath, isSfToken,
  isTargetHost, isToken, isUnreservedName, isVisibleAscii, parsePort,
} from "./policy-syntax";

export class PolicyResult {
  policy: Policy | null = null;
  errors: Array<string> = new Array<string>();
}

export function parsePolicy(text: string): PolicyResult {
  const parsed = parseJson(text);
  if (!parsed.ok()) {
    const result = new PolicyResult();
    result.errors.push("$: invalid JSON: " + parsed.error);
    return result;
  }
  return policyFromJson(parsed.value!);
}

export function policyFromJson(doc: JsonValue): PolicyResult {
  const errors = new PolicyErrors();
  const policy = new Policy();
  if (!doc.isObject()) {
    errors.expected("$", "object", doc);
  } else {
    const walk = new MemberWalk(errors, TOP_FIELDS);
    let routes: JsonValue | null = null;
    for (let i = 0; i < doc.keys.length; i++) {
      const key = doc.keys[i];
      const path = memberPath("", key);
      if (!walk.accept(key, path)) continue;
      const value = doc.values[i];
      if (key == "auth") parseAuth(errors, value, path, policy.auth);
      else if (key == "canary") parseCanary(errors, value, path, policy.canary);
      else if (key == "rateLimit") parseRateLimit(errors, value, path, policy.rateLimit);
      else if (key == "require") parseRequire(errors, value, path, policy.require);
      else if (key == "routes") routes = value;
      else parseLog(errors, value, path, policy.log);
    }
    // Routes build on the top-level sections, wherever the document puts them.
    if (routes != null) parseRoutes(errors, routes, "routes", doc, policy);
    deriveAuthorizationNeeds(policy);
  }
  const result = new PolicyResult();
  result.errors = errors.list;
  if (errors.list.length == 0) result.policy = policy;
  return result;
}

const TOP_FIELDS: Array<string> = ["auth", "canary", "rateLimit", "log", "require", "routes"];

const HEADER_NAME = AUTH_IDENTITY_HEADERS_SUBJECT_PHRASE();
const OWNED_HEADER = "header name meshgate can own (not a token source or reserved header)";
const PATH_RULE = AUTH_ANONYMOUS_PATHS_ITEM_PHRASE();
const SERVICE_EITHER = "\"url\" (Kong) or \"cluster\" + \"authority\" + \"path\" (Envoy)";
const SERVICE_TRIO = "\"cluster\" + \"authority\" + \"path\" together (Envoy)";
/** The request's method and path, which the auth call carries as x-forwarded-method / x-forwarded-uri. */
const FORWARDED_PSEUDO_HEADERS: Array<string> = [":method", ":path"];

/** Headers a request needs for itself: meshgate never strips and sets these as identity. */
const RESERVED_HEADERS: Array<string> = [
  "host", "connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade",
  "content-length", "content-type", "cookie", "forwarded", "x-forwarded-for",
];

/** A section's `enabled` as far as the "missing field" checks are concerned (invalid counts as enabled). */
function sectionEnabled(section: JsonValue): bool {
  const enabled = section.get("enabled");
  return enabled == null || !enabled.isBool() || enabled.bool;
}

export function isObjectOrReport(errors: PolicyErrors, value: JsonValue, path: string): bool {
  if (value.isObject()) return true;
  errors.expected(path, "object", value);
  return false;
}

/** A header name, lowercased; "" (never a valid name) when invalid so later checks can skip it. */
function readHeaderName(errors: PolicyErrors, value: JsonValue, path: string): string {
  if (value.isString() && isHeaderName(value.str)) return value.str.toLowerCase();
  errors.expected(path, HEADER_NAME, value);
  return "";
}

function readString(errors: PolicyErrors, value: JsonValue, path: string, maxLength: i32, what: string): string {
  if (value.isString() && value.str.length <= maxLength) return value.str;
  errors.expected(path, what, value);
  return "";
}

/** Array of strings each passing `kind`'s rule; the array itself reports `arrayWhat`. */
function readStringList(
  errors: PolicyErrors, value: JsonValue, path: string, maxItems: i32, arrayWhat: string, kind: i32, itemWhat: string,
): Array<string> {
  const out = new Array<string>();
  if (!value.isArray() || value.items.length > maxItems) {
    errors.expected(path, arrayWhat, value);
    return out;
  }
  for (let i = 0; i < value.items.length; i++) {
    const item = value.items[i];
    if (item.isString() && listItemOk(kind, item.str)) {
      out.push(kind == LIST_FORWARDED ? item.str.toLowerCase() : item.str);
    } else {
      errors.expected(itemPath(path, i), itemWhat, item);
    }
  }
  return out;
}

/** Array of at most `maxItems` names (1..256 characters, no control characters). */
export function readStringListOf(errors: PolicyErrors, value: JsonValue, path: string, maxItems: i32, arrayWhat: string, itemWhat: string): Array<string> {
  return readStringList(errors, value, path, maxItems, arrayWhat, LIST_NAMES, itemWhat);
}

const LIST_FORWARDED: i32 = 0;
const LIST_PATH_RULES: i32 = 1;
const LIST_NAMES: i32 = 2;

function listItemOk(kind: i32, s: string): bool {
  if (kind == LIST_FORWARDED) return isHeaderName(s) || FORWARDED_PSEUDO_HEADERS.includes(s.toLowerCase());
  if (kind == LIST_PATH_RULES) return isPathRule(s);
  return hasNoControl(s, 1, 256);
}

// ---------------------------------------------------------------- auth

export const AUTH_FIELDS: Array<string> = [
  "enabled", "mode", "service", "timeoutMs", "tokenSources", "maxTokenLength", "forwardHeaders",
  "introspectionAuthorization", "identityHeaders", "headerMappings", "cache", "bodyRule", "failure",
  "anonymousPaths", "realm", "clockSkewSeconds", "claimHeaders", "shadow", "jwt",
];
const AUTH_MODES: Array<string> = AUTH_MODE_CHOICES();

function parseAuth(errors: PolicyErrors, section: JsonValue, path: string, out: AuthPolicy): void {
  if (!isObjectOrReport(errors, section, path)) return;
  out.enabled = true;
  const enabled = sectionEnabled(section);
  let serviceGiven = false;
  const walk = new MemberWalk(errors, AUTH_FIELDS);
  for (let i = 0; i < section.keys.length; i++) {
    const key = section.keys[i];
    const at = memberPath(path, key);
    if (!walk.accept(key, at)) continue;
    const value = section.values[i];
    if (key == "enabled") out.enabled = readBool(errors, value, at, AUTH_ENABLED_DEFAULT);
    else if (key == "mode") {
      const mode = readChoice(errors, value, at, AUTH_MODES);
      if (mode >= 0) out.mode = mode; // AuthMode lists the modes in the field table's order
    } else if (key == "service") {
      serviceGiven = true;
      parseService(errors, value, at, out.service, enabled);
    } else if (key == "timeoutMs") out.timeoutMs = readInt(errors, value, at, AUTH_TIMEOUT_MS_MIN, AUTH_TIMEOUT_MS_MAX, out.timeoutMs);
    else if (key == "tokenSources") out.tokenSources = parseTokenSources(errors, value, at);
    else if (key == "maxTokenLength") out.maxTokenLength = readInt(errors, value, at, AUTH_MAX_TOKEN_LENGTH_MIN, AUTH_MAX_TOKEN_LENGTH_MAX, out.maxTokenLength);
    else if (key == "forwardHeaders") {
      out.forwardHeaders = readStringList(errors, value, at, AUTH_FORWARD_HEADERS_MAX_LENGTH, AUTH_FORWARD_HEADERS_PHRASE(), LIST_FORWARDED,
        AUTH_FORWARD_HEADERS_ITEM_PHRASE());
    } else if (key == "introspectionAuthorization") {
      if (value.isString() && hasNoControl(value.str, AUTH_INTROSPECTION_AUTHORIZATION_MIN_LENGTH, AUTH_INTROSPECTION_AUTHORIZATION_MAX_LENGTH)) {
        out.introspectionAuthorization = value.str;
      } else errors.expectedSecret(at, AUTH_INTROSPECTION_AUTHORIZATION_PHRASE(), value);
    } else if (key == "identityHeaders") parseIdentityHeaders(errors, value, at, out);
    else if (key == "headerMappings") out.headerMappings = parseHeaderMappings(errors, value, at);
    else if (key == "cache") parseCache(errors, value, at, out.cache);
    else if (key == "bodyRule") out.bodyRule = parseBodyRule(errors, value, at);
    else if (key == "failure") parseFailure(errors, value, at, out.failure);
    else if (key == "anonymousPaths") {
      out.anonymousPaths = readStringList(errors, value, at, AUTH_ANONYMOUS_PATHS_MAX_LENGTH, AUTH_ANONYMOUS_PATHS_PHRASE(), LIST_PATH_RULES, PATH_RULE);
    } else if (key == "realm") {
      if (value.isString() && isRealm(value.str)) out.realm = value.str;
      else errors.expected(at, AUTH_REALM_PHRASE(), value);
    } else if (key == "claimHeaders") out.claimHeaders = parseClaimHeaders(errors, value, at);
    else if (key == "shadow") out.shadow = readBool(errors, value, at, AUTH_SHADOW_DEFAULT);
    else if (key == "jwt") parseJwt(errors, value, at, out.jwt);
    else out.clockSkewSeconds = readNumber(errors, value, at, AUTH_CLOCK_SKEW_SECONDS_MIN, AUTH_CLOCK_SKEW_SECONDS_MAX, out.clockSkewSeconds);
  }
  if (!serviceGiven && enabled && out.mode != AuthMode.Jwt) errors.expectedGot(memberPath(path, "service"), SERVICE_EITHER, "nothing");
  checkJwtMode(errors, section, path, out.mode, enabled);
  checkForwardMappings(errors, path, out);
  checkOwnedHeaders(errors, path, out);
}

/** `auth.jwt` is what `jwt` mode verifies with, and means nothing in the other modes. */
function checkJwtMode(errors: PolicyErrors, section: JsonValue, path: string, mode: i32, enabled: bool): void {
  const at = memberPath(path, "jwt");
  if (mode == AuthMode.Jwt && enabled && !section.has("jwt")) {
    errors.expectedGot(at, "object (auth.mode is \"jwt\": the key set and the accepted issuers)", "nothing");
  } else if (mode != AuthMode.Jwt && section.has("jwt")) {
    errors.expectedGot(at, "nothing unless auth.mode is \"jwt\"", "an object");
  }
}

const SERVICE_FIELDS: Array<string> = ["url", "cluster", "authority", "path"];

export function parseService(errors: PolicyErrors, value: JsonValue, path: string, out: AuthServiceAddress, enabled: bool): void {
  if (!isObjectOrReport(errors, value, path)) return;
  const walk = new MemberWalk(errors, SERVICE_FIELDS);
  for (let i = 0; i < value.keys.length; i++) {
    const key = value.keys[i];
    const at = memberPath(path, key);
    if (!walk.accept(key, at)) continue;
    const member = value.values[i];
    const text = member.isString() ? member.str : "";
    if (key == "url") {
      if (member.isString() && isHttpUrl(text)) out.url = text;
      else errors.expected(at, AUTH_SERVICE_URL_PHRASE(), member);
    } else if (key == "cluster") {
      if (member.isString() && isVisibleAscii(text, AUTH_SERVICE_CLUSTER_MIN_LENGTH, AUTH_SERVICE_CLUSTER_MAX_LENGTH)) out.cluster = text;
      else errors.expected(at, AUTH_SERVICE_CLUSTER_PHRASE(), member);
    } else if (key == "authority") {
      if (member.isString() && isAuthority(text)) out.authority = text;
      else errors.expected(at, AUTH_SERVICE_AUTHORITY_PHRASE(), member);
    } else {
      if (member.isString() && isRequestPath(text)) out.path = text;
      else errors.expected(at, AUTH_SERVICE_PATH_PHRASE(), member);
    }
  }
  // A member that is present counts as given, even when its value was invalid (it has its own error).
  let envoyGiven = "";
  let envoyCount: i32 = 0;
  for (let i = 1; i < SERVICE_FIELDS.length; i++) {
    if (!value.has(SERVICE_FIELDS[i])) continue;
    envoyGiven += (envoyCount > 0 ? " + \"" : "\"") + SERVICE_FIELDS[i] + "\"";
    envoyCount++;
  }
  if (envoyCount > 0 && envoyCount < 3) errors.expectedGot(path, SERVICE_TRIO, "only " + envoyGiven);
  else if (enabled && envoyCount == 0 && !value.has("url")) errors.expectedGot(path, SERVICE_EITHER, "neither");
}

const TOKEN_SOURCE_TYPES: Array<string> = AUTH_TOKEN_SOURCES_ITEM_TYPE_CHOICES();
const HEADER_SOURCE_FIELDS: Array<string> = ["type", "name", "scheme"];
const OTHER_SOURCE_FIELDS: Array<string> = ["type", "name"];

function parseTokenSources(errors: PolicyErrors, value: JsonValue, path: string): Array<TokenSource> {
  const out = new Array<TokenSource>();
  if (!value.isArray() || value.items.length < AUTH_TOKEN_SOURCES_MIN_LENGTH || value.items.length > AUTH_TOKEN_SOURCES_MAX_LENGTH) {
    errors.expected(path, AUTH_TOKEN_SOURCES_PHRASE(), value);
    return out;
  }
  for (let i = 0; i < value.items.length; i++) out.push(parseTokenSource(errors, value.items[i], itemPath(path, i)));
  return out;
}

function parseTokenSource(errors: PolicyErrors, value: JsonValue, path: string): TokenSource {
  const out = new TokenSource();
  out.name = "";
  if (!isObjectOrReport(errors, value, path)) return out;
  const typeValue = value.get("type");
  let kind: i32 = -1;
  if (typeValue != null && typeValue.isString()) kind = TOKEN_SOURCE_TYPES.indexOf(typeValue.str);
  if (kind < 0) {
    // Without a valid type nothing else can be judged: report the type only.
    let typeSeen = false;
    for (let i = 0; i < value.keys.length; i++) {
      if (value.keys[i] != "type") continue;
      const at = memberPath(path, "type");
      if (typeSeen) errors.duplicate(at);
      else readChoice(errors, value.values[i], at, TOKEN_SOURCE_TYPES);
      typeSeen = true;
    }
    if (typeValue == null) errors.expected(memberPath(path, "type"), choicePhrase(TOKEN_SOURCE_TYPES), null);
    return out;
  }
  out.kind = kind == 0 ? TokenSourceKind.Header : kind == 1 ? TokenSourceKind.Cookie : TokenSourceKind.Query;
  if (kind == 0) out.name = AUTH_TOKEN_SOURCES_ITEM_NAME_HEADER_DEFAULT();
  else out.scheme = "";
  let nameGiven = false;
  const walk = new MemberWalk(errors, kind == 0 ? HEADER_SOURCE_FIELDS : OTHER_SOURCE_FIELDS);
  for (let i = 0; i < value.keys.length; i++) {
    const key = value.keys[i];
    const at = memberPath(path, key);
    if (!walk.accept(key, at)) continue;
    const member = value.values[i];
    if (key == "name") {
      nameGiven = true;
      out.name = readSourceName(errors, member, at, kind);
    } else if (key == "scheme") {
      if (member.isString() && isToken(member.str, AUTH_TOKEN_SOURCES_ITEM_SCHEME_HEADER_ONLY_MIN_LENGTH, AUTH_TOKEN_SOURCES_ITEM_SCHEME_HEADER_ONLY_MAX_LENGTH)) {
        out.scheme = member.str;
      } else errors.expected(at, AUTH_TOKEN_SOURCES_ITEM_SCHEME_HEADER_ONLY_PHRASE(), member);
    }
  }
  if (kind != 0 && !nameGiven) errors.expected(memberPath(path, "name"), sourceNamePhrase(kind), null);
  return out;
}

function readSourceName(errors: PolicyErrors, value: JsonValue, path: string, kind: i32): string {
  if (value.isString()) {
    const s = value.str;
    if (kind == 0 && isHeaderName(s)) return s.toLowerCase();
    if (kind == 1 && isToken(s, AUTH_TOKEN_SOURCES_ITEM_NAME_COOKIE_MIN_LENGTH, AUTH_TOKEN_SOURCES_ITEM_NAME_COOKIE_MAX_LENGTH)) return s;
    if (kind == 2 && isUnreservedName(s)) return s;
  }
  errors.expected(path, sourceNamePhrase(kind), value);
  return "";
}

function sourceNamePhrase(kind: i32): string {
  if (kind == 0) return AUTH_TOKEN_SOURCES_ITEM_NAME_HEADER_PHRASE();
  if (kind == 1) return AUTH_TOKEN_SOURCES_ITEM_NAME_COOKIE_PHRASE();
  return AUTH_TOKEN_SOURCES_ITEM_NAME_QUERY_PHRASE();
}

const IDENTITY_FIELDS: Array<string> = ["subject", "groups"];

function parseIdentityHeaders(errors: PolicyErrors, value: JsonValue, path: string, out: AuthPolicy): void {
  if (!isObjectOrReport(errors, value, path)) return;
  const walk = new MemberWalk(errors, IDENTITY_FIELDS);
  for (let i = 0; i < value.keys.length; i++) {
    const key = value.keys[i];
    const at = memberPath(path, key);
    if (!walk.accept(key, at)) continue;
    if (key == "subject") out.subjectHeader = readHeaderName(errors, value.values[i], at);
    else out.groupsHeader = readHeaderName(errors, value.values[i], at);
  }
}

const MAPPING_FIELDS: Array<string> = ["from", "to"];
const CLAIM_NAME = AUTH_HEADER_MAPPINGS_ITEM_FROM_PHRASE();

function parseHeaderMappings(errors: PolicyErrors, value: JsonValue, path: string): Array<HeaderMapping> {
  const out = new Array<HeaderMapping>();
  if (!value.isArray() || value.items.length > AUTH_HEADER_MAPPINGS_MAX_LENGTH) {
    errors.expected(path, AUTH_HEADER_MAPPINGS_PHRASE(), value);
    return out;
  }
  for (let i = 0; i < value.items.length; i++) {
    const at = itemPath(path, i);
    const item = value.items[i];
    const mapping = new HeaderMapping();
    out.push(mapping);
    if (!isObjectOrReport(errors, item, at)) continue;
    const walk = new MemberWalk(errors, MAPPING_FIELDS);
    for (let j = 0; j < item.keys.length; j++) {
      const key = item.keys[j];
      const memberAt = memberPath(at, key);
      if (!walk.accept(key, memberAt)) continue;
      const member = item.values[j];
      if (key == "from") {
        if (member.isString() && hasNoControl(member.str, AUTH_HEADER_MAPPINGS_ITEM_FROM_MIN_LENGTH, AUTH_HEADER_MAPPINGS_ITEM_FROM_MAX_LENGTH)) mapping.from = member.str;
        else errors.expected(memberAt, CLAIM_NAME, member);
      } else {
        mapping.to = readHeaderName(errors, member, memberAt);
      }
    }
    if (!item.has("from")) errors.expected(memberPath(at, "from"), CLAIM_NAME, null);
    if (!item.has("to")) errors.expected(memberPath(at, "to"), HEADER_NAME, null);
  }
  return out;
}

/** In forward mode `from` names an auth-response header: it must be a header name, and is lowercased. */
function checkForwardMappings(errors: PolicyErrors, path: string, out: AuthPolicy): void {
  if (out.mode != AuthMode.Forward) return;
  for (let i = 0; i < out.headerMappings.length; i++) {
    const mapping = out.headerMappings[i];
    if (mapping.from.length == 0) continue;
    if (isHeaderName(mapping.from)) {
      mapping.from = mapping.from.toLowerCase();
    } else {
      errors.expectedGot(memberPath(itemPath(memberPath(path, "headerMappings"), i), "from"), HEADER_NAME,
        describeValue(JsonValue.ofString(mapping.from)));
    }
  }
}

/** Identity headers are stripped from client requests, so they must not be headers the request needs. */
function checkOwnedHeaders(errors: PolicyErrors, path: string, out: AuthPolicy): void {
  const taken = new Array<string>();
  for (let i = 0; i < RESERVED_HEADERS.length; i++) taken.push(RESERVED_HEADERS[i]);
  for (let i = 0; i < out.tokenSources.length; i++) {
    const source = out.tokenSources[i];
    if (source.kind == TokenSourceKind.Header && source.name.length > 0) taken.push(source.name);
  }
  const identity = memberPath(path, "identityHeaders");
  checkOwned(errors, taken, memberPath(identity, "subject"), out.subjectHeader);
  checkOwned(errors, taken, memberPath(identity, "groups"), out.groupsHeader);
  const mappings = memberPath(path, "headerMappings");
  for (let i = 0; i < out.headerMappings.length; i++) {
    checkOwned(errors, taken, memberPath(itemPath(mappings, i), "to"), out.headerMappings[i].to);
  }
  checkOwned(errors, taken, memberPath(memberPath(path, "failure"), "degradedHeader"), out.failure.degradedHeader);
}

function checkOwned(errors: PolicyErrors, taken: Array<string>, path: string, name: string): void {
  if (name.length > 0 && taken.includes(name)) errors.expectedGot(path, OWNED_HEADER, describeValue(JsonValue.ofString(name)));
}

const CACHE_FIELDS: Array<string> = ["maxEntries", "ttlSeconds", "negativeTtlSeconds", "staleIfErrorSeconds"];

function parseCache(errors: PolicyErrors, value: JsonValue, path: string, out: DecisionCacheSettings): void {
  if (!isObjectOrReport(errors, value, path)) return;
  const walk = new MemberWalk(errors, CACHE_FIELDS);
  for (let i = 0; i < value.keys.length; i++) {
    const key = value.keys[i];
    const at = memberPath(path, key);
    if (!walk.accept(key, at)) continue;
    const member = value.values[i];
    if (key == "maxEntries") out.maxEntries = readInt(errors, member, at, AUTH_CACHE_MAX_ENTRIES_MIN, AUTH_CACHE_MAX_ENTRIES_MAX, out.maxEntries);
    else if (key == "ttlSeconds") out.ttlSeconds = readNumber(errors, member, at, AUTH_CACHE_TTL_SECONDS_MIN, AUTH_CACHE_TTL_SECONDS_MAX, out.ttlSeconds);
    else if (key == "negativeTtlSeconds") out.negativeTtlSeconds = readNumber(errors, member, at, AUTH_CACHE_NEGATIVE_TTL_SECONDS_MIN, AUTH_CACHE_NEGATIVE_TTL_SECONDS_MAX,
      out.negativeTtlSeconds);
    else out.staleIfErrorSeconds = readNumber(errors, member, at, AUTH_CACHE_STALE_IF_ERROR_SECONDS_MIN, AUTH_CACHE_STALE_IF_ERROR_SECONDS_MAX,
      out.staleIfErrorSeconds);
  }
}

const BODY_RULE_FIELDS: Array<string> = ["pointer", "equals"];
const POINTER = AUTH_BODY_RULE_POINTER_PHRASE();
const SCALAR = AUTH_BODY_RULE_EQUALS_PHRASE();

function parseBodyRule(errors: PolicyErrors, value: JsonValue, path: string): BodyRule | null {
  if (!isObjectOrReport(errors, value, path)) return null;
  const rule = new BodyRule();
  const walk = new MemberWalk(errors, BODY_RULE_FIELDS);
  for (let i = 0; i < value.keys.length; i++) {
    const key = value.keys[i];
    const at = memberPath(path, key);
    if (!walk.accept(key, at)) continue;
    const member = value.values[i];
    if (key == "pointer") {
      if (member.isString() && isJsonPointer(member.str)) rule.pointer = member.str;
      else errors.expected(at, POINTER, member);
    } else {
      if (!member.isArray() && !member.isObject()) rule.equals = stringifyJson(member);
      else errors.expected(at, SCALAR, member);
    }
  }
  if (!value.has("pointer")) errors.expected(memberPath(path, "pointer"), POINTER, null);
  if (!value.has("equals")) errors.expected(memberPath(path, "equals"), SCALAR, null);
  return rule;
}

const FAILURE_FIELDS: Array<string> = ["mode", "status", "openPaths", "degradedHeader"];
const FAIL_MODES: Array<string> = AUTH_FAILURE_MODE_CHOICES();

export function parseFailure(errors: PolicyErrors, value: JsonValue, path: string, out: FailureSettings): void {
  if (!isObjectOrReport(errors, value, path)) return;
  const walk = new MemberWalk(errors, FAILURE_FIELDS);
  for (let i = 0; i < value.keys.length; i++) {
    const key = value.keys[i];
    const at = memberPath(path, key);
    if (!walk.accept(key, at)) continue;
    const member = value.values[i];
    if (key == "mode") {
      const mode = readChoice(errors, member, at, FAIL_MODES);
      if (mode >= 0) out.mode = mode == 0 ? FailMode.Closed : FailMode.Open;
    } else if (key == "status") {
      const allowed = isIntegerIn(member, AUTH_FAILURE_STATUS_ALSO_ALLOWED, AUTH_FAILURE_STATUS_ALSO_ALLOWED) ||
        isIntegerIn(member, AUTH_FAILURE_STATUS_MIN, AUTH_FAILURE_STATUS_MAX);
      if (allowed) out.status = i32(member.num);
      else errors.expected(at, AUTH_FAILURE_STATUS_PHRASE(), member);
    } else if (key == "openPaths") {
      out.openPaths = readStringList(errors, member, at, AUTH_FAILURE_OPEN_PATHS_MAX_LENGTH, AUTH_FAILURE_OPEN_PATHS_PHRASE(), LIST_PATH_RULES, PATH_RULE);
    } else {
      out.degradedHeader = readHeaderName(errors, member, at);
    }
  }
}

// ---------------------------------------------------------------- canary

const CANARY_FIELDS: Array<string> = [
  "enabled", "overrideHeader", "overrideGroups", "overrideSubjects", "percentage", "salt", "tagHeader", "baggageKey", "kong",
  "shadow",
];

export function parseCanary(errors: PolicyErrors, section: JsonValue, path: string, out: CanaryPolicy): void {
  if (!isObjectOrReport(errors, section, path)) return;
  out.enabled = true;
  const walk = new MemberWalk(errors, CANARY_FIELDS);
  for (let i = 0; i < section.keys.length; i++) {
    const key = section.keys[i];
    const at = memberPath(path, key);
    if (!walk.accept(key, at)) continue;
    const value = section.values[i];
    if (key == "enabled") out.enabled = readBool(errors, value, at, CANARY_ENABLED_DEFAULT);
    else if (key == "overrideHeader") out.overrideHeader = readHeaderName(errors, value, at);
    else if (key == "overrideGroups") {
      out.overrideGroups = readStringList(errors, value, at, CANARY_OVERRIDE_GROUPS_MAX_LENGTH, CANARY_OVERRIDE_GROUPS_PHRASE(), LIST_NAMES,
        CANARY_OVERRIDE_GROUPS_ITEM_PHRASE());
    } else if (key == "overrideSubjects") {
      out.overrideSubjects = readStringList(errors, value, at, CANARY_OVERRIDE_SUBJECTS_MAX_LENGTH, CANARY_OVERRIDE_SUBJECTS_PHRASE(), LIST_NAMES,
        CANARY_OVERRIDE_SUBJECTS_ITEM_PHRASE());
    } else if (key == "percentage") {
      const basisPoints = percentageToBasisPoints(value);
      if (basisPoints >= 0) out.basisPoints = basisPoints;
      else errors.expected(at, CANARY_PERCENTAGE_PHRASE(), value);
    } else if (key == "salt") out.salt = readString(errors, value, at, CANARY_SALT_MAX_LENGTH, CANARY_SALT_PHRASE());
    else if (key == "tagHeader") {
      if (value.isString() && value.str.length == 0) out.tagHeader = "";
      else if (value.isString() && isHeaderName(value.str)) out.tagHeader = value.str.toLowerCase();
      else errors.expected(at, CANARY_TAG_HEADER_PHRASE(), value);
    }
    else if (key == "baggageKey") {
      if (value.isString() && isToken(value.str, CANARY_BAGGAGE_KEY_MIN_LENGTH, CANARY_BAGGAGE_KEY_MAX_LENGTH)) out.baggageKey = value.str;
      else errors.expected(at, CANARY_BAGGAGE_KEY_PHRASE(), value);
    } else if (key == "shadow") out.shadow = readBool(errors, value, at, CANARY_SHADOW_DEFAULT);
    else parseKongTarget(errors, value, at, out.kong);
  }
}

const LOG_FIELDS: Array<string> = ["decisions", "sampleRate", "level", "includeSubject"];
const LOG_LEVELS: Array<string> = LOG_LEVEL_CHOICES();

function parseLog(errors: PolicyErrors, section: JsonValue, path: string, out: LogPolicy): void {
  if (!isObjectOrReport(errors, section, path)) return;
  const walk = new MemberWalk(errors, LOG_FIELDS);
  for (let i = 0; i < section.keys.length; i++) {
    const key = section.keys[i];
    const at = memberPath(path, key);
    if (!walk.accept(key, at)) continue;
    const value = section.values[i];
    if (key == "decisions") {
      const mode = readChoice(errors, value, at, DECISION_LOG_MODES);
      if (mode >= 0) out.decisions = mode;
    } else if (key == "sampleRate") {
      const basisPoints = value.isNumber() ? percentageToBasisPoints(JsonValue.ofNumber(value.num * 100)) : -1;
      if (basisPoints >= 0) out.sampleBasisPoints = basisPoints;
      else errors.expected(at, LOG_SAMPLE_RATE_PHRASE(), value);
    } else if (key == "level") {
      const level = readChoice(errors, value, at, LOG_LEVELS);
      if (level >= 0) out.level = LOG_LEVELS[level];
    } else out.includeSubject = readBool(errors, value, at, LOG_INCLUDE_SUBJECT_DEFAULT);
  }
}

/** In DecisionLogMode order. */
const DECISION_LOG_MODES: Array<string> = LOG_DECISIONS_CHOICES();

/** Hundredths of a percent, or -1 when out of 0..100 or finer than 0.01 (tolerance 1e-9 for binary fractions). */
function percentageToBasisPoints(value: JsonValue): i32 {
  if (!value.isNumber()) return -1;
  const percentage = value.num;
  if (!(percentage >= 0 && percentage <= 100)) return -1;
  const hundredths = percentage * 100;
  const rounded = Math.floor(hundredths + 0.5);
  if (Math.abs(hundredths - rounded) > 1e-9) return -1;
  return i32(rounded);
}

const KONG_FIELDS: Array<string> = ["upstream", "target"];

function parseKongTarget(errors: PolicyErrors, value: JsonValue, path: string, out: KongCanaryTarget): void {
  if (!isObjectOrReport(errors, value, path)) return;
  const walk = new MemberWalk(errors, KONG_FIELDS);
  for (let i = 0; i < value.keys.length; i++) {
    const key = value.keys[i];
    const at = memberPath(path, key);
    if (!walk.accept(key, at)) continue;
    const member = value.values[i];
    if (key == "upstream") {
      if (member.isString() && isVisibleAscii(member.str, CANARY_KONG_UPSTREAM_MIN_LENGTH, CANARY_KONG_UPSTREAM_MAX_LENGTH)) out.upstream = member.str;
      else errors.expected(at, CANARY_KONG_UPSTREAM_PHRASE(), member);
    } else if (!readTarget(member, out)) {
      errors.expected(at, CANARY_KONG_TARGET_PHRASE(), member);
    }
  }
  if (value.has("upstream") && value.has("target")) errors.expectedGot(path, "\"upstream\" or \"target\"", "both");
}

function readTarget(value: JsonValue, out: KongCanaryTarget): bool {
  if (!value.isString()) return false;
  const s = value.str;
  const colon = s.lastIndexOf(":");
  if (colon < 0) return false;
  const host = s.substring(0, colon);
  const port = parsePort(s.substring(colon + 1));
  if (!isTargetHost(host) || port < 0) return false;
  out.host = host;
  out.port = port;
  return true;
}

// ---------------------------------------------------------------- rateLimit

const RATE_LIMIT_FIELDS: Array<string> = [
  "enabled", "key", "rate", "periodSeconds", "burst", "policy", "faultTolerant", "redis", "headers", "name", "status",
  "preAuthIp", "limits", "shadow",
];
const PRE_AUTH_IP_FIELDS: Array<string> = ["rate", "periodSeconds", "burst"];
const LIMIT_STORES: Array<string> = RATE_LIMIT_POLICY_CHOICES();
const LIMIT_HEADER_STYLES: Array<string> = RATE_LIMIT_HEADERS_CHOICES();

export function parseRateLimit(errors: PolicyErrors, section: JsonValue, path: string, out: RateLimitPolicy): void {
  if (!isObjectOrReport(errors, section, path)) return;
  out.enabled = true;
  const enabled = sectionEnabled(section);
  const walk = new MemberWalk(errors, RATE_LIMIT_FIELDS);
  for (let i = 0; i < section.keys.length; i++) {
    const key = section.keys[i];
    const at = memberPath(path, key);
    if (!walk.accept(key, at)) continue;
    const value = section.values[i];
    if (key == "enabled") out.enabled = readBool(errors, value, at, RATE_LIMIT_ENABLED_DEFAULT);
    else if (key == "key") {
      if (!readLimitKey(value, out)) errors.expected(at, RATE_LIMIT_KEY_PHRASE(), value);
    } else if (key == "rate") out.rate = readInt(errors, value, at, RATE_LIMIT_RATE_MIN, RATE_LIMIT_RATE_MAX, out.rate);
    else if (key == "periodSeconds") {
      out.periodSeconds = readInt(errors, value, at, RATE_LIMIT_PERIOD_SECONDS_MIN, RATE_LIMIT_PERIOD_SECONDS_MAX, out.periodSeconds);
    }
    else if (key == "burst") {
      if (isIntegerIn(value, RATE_LIMIT_BURST_MIN, RATE_LIMIT_BURST_MAX)) out.burst = i32(value.num);
      else if (isIntegerIn(value, RATE_LIMIT_BURST_MAX, Infinity)) errors.expected(at, RATE_LIMIT_BURST_PHRASE_ABOVE(), value);
      else errors.expected(at, RATE_LIMIT_BURST_PHRASE(), value);
    } else if (key == "policy") {
      const store = readChoice(errors, value, at, LIMIT_STORES);
      if (store >= 0) out.store = store;
    } else if (key == "faultTolerant") out.faultTolerant = readBool(errors, value, at, RATE_LIMIT_FAULT_TOLERANT_DEFAULT);
    else if (key == "redis") parseRedis(errors, value, at, out.redis);
    else if (key == "headers") {
      const style = readChoice(errors, value, at, LIMIT_HEADER_STYLES);
      if (style >= 0) out.headers = style;
    } else if (key == "name") {
      if (value.isString() && isSfToken(value.str)) out.name = value.str;
      else errors.expected(at, RATE_LIMIT_NAME_PHRASE(), value);
    } else if (key == "preAuthIp") parsePreAuthIp(errors, value, at, out.preAuthIp);
    else if (key == "limits") out.limits = parseLimits(errors, value, at);
    else if (key == "shadow") out.shadow = readBool(errors, value, at, RATE_LIMIT_SHADOW_DEFAULT);
    else out.status = readInt(errors, value, at, RATE_LIMIT_STATUS_MIN, RATE_LIMIT_STATUS_MAX, out.status);
  }
  const windowGiven = section.has("rate") || section.has("periodSeconds") || section.has("burst");
  if (section.has("limits")) {
    if (windowGiven) errors.expectedGot(path, "\"limits\" or \"rate\" (+ \"periodSeconds\", \"burst\")", "both");
  } else {
    if (enabled && !section.has("rate")) errors.expected(memberPath(path, "rate"), RATE_LIMIT_RATE_PHRASE(), null);
    const only = new LimitWindow();
    only.rate = out.rate;
    only.periodSeconds = out.periodSeconds;
    only.burst = out.burst;
    out.limits = [only];
  }
  if (out.limits.length > 0) {
    out.rate = out.limits[0].rate;
    out.periodSeconds = out.limits[0].periodSeconds;
    out.burst = out.limits[0].burst;
  }
}

function parsePreAuthIp(errors: PolicyErrors, value: JsonValue, path: string, out: PreAuthIpLimit): void {
  if (!isObjectOrReport(errors, value, path)) return;
  const walk = new MemberWalk(errors, PRE_AUTH_IP_FIELDS);
  for (let i = 0; i < value.keys.length; i++) {
    const key = value.keys[i];
    const at = memberPath(path, key);
    if (!walk.accept(key, at)) continue;
    const member = value.values[i];
    if (key == "rate") out.rate = readInt(errors, member, at, RATE_LIMIT_PRE_AUTH_IP_RATE_MIN, RATE_LIMIT_PRE_AUTH_IP_RATE_MAX, out.rate);
    else if (key == "periodSeconds") {
      out.periodSeconds = readInt(errors, member, at, RATE_LIMIT_PRE_AUTH_IP_PERIOD_SECONDS_MIN, RATE_LIMIT_PRE_AUTH_IP_PERIOD_SECONDS_MAX,
        out.periodSeconds);
    } else {
      out.burst = readInt(errors, member, at, RATE_LIMIT_PRE_AUTH_IP_BURST_MIN, RATE_LIMIT_PRE_AUTH_IP_BURST_MAX, out.burst);
    }
  }
  if (!value.has("rate")) errors.expected(memberPath(path, "rate"), RATE_LIMIT_PRE_AUTH_IP_RATE_PHRASE(), null);
}

function readLimitKey(value: JsonValue, out: RateLimitPolicy): bool {
  if (!value.isString()) return false;
  const s = value.str;
  if (s == "subject") { out.keyKind = LimitKeyKind.Subject; return true; }
  if (s == "ip") { out.keyKind = LimitKeyKind.Ip; return true; }
  if (s.startsWith("header:") && isHeaderName(s.substring(7))) {
    out.keyKind = LimitKeyKind.Header;
    out.keyHeader = s.substring(7).toLowerCase();
    return true;
  }
  return false;
}

const REDIS_FIELDS: Array<string> = ["host", "port", "database", "username", "password", "timeoutMs", "prefix"];

function parseRedis(errors: PolicyErrors, value: JsonValue, path: string, out: RedisSettings): void {
  if (!isObjectOrReport(errors, value, path)) return;
  const walk = new MemberWalk(errors, REDIS_FIELDS);
  for (let i = 0; i < value.keys.length; i++) {
    const key = value.keys[i];
    const at = memberPath(path, key);
    if (!walk.accept(key, at)) continue;
    const member = value.values[i];
    if (key == "host") {
      if (member.isString() && isVisibleAscii(member.str, RATE_LIMIT_REDIS_HOST_MIN_LENGTH, RATE_LIMIT_REDIS_HOST_MAX_LENGTH)) out.host = member.str;
      else errors.expected(at, RATE_LIMIT_REDIS_HOST_PHRASE(), member);
    } else if (key == "port") out.port = readInt(errors, member, at, RATE_LIMIT_REDIS_PORT_MIN, RATE_LIMIT_REDIS_PORT_MAX, out.port);
    else if (key == "database") out.database = readInt(errors, member, at, RATE_LIMIT_REDIS_DATABASE_MIN, RATE_LIMIT_REDIS_DATABASE_MAX, out.database);
    else if (key == "username") out.username = readString(errors, member, at, RATE_LIMIT_REDIS_USERNAME_MAX_LENGTH, RATE_LIMIT_REDIS_USERNAME_PHRASE());
    else if (key == "password") {
      if (member.isString() && member.str.length <= RATE_LIMIT_REDIS_PASSWORD_MAX_LENGTH) out.password = member.str;
      else errors.expectedSecret(at, RATE_LIMIT_REDIS_PASSWORD_PHRASE(), member);
    } else if (key == "timeoutMs") {
      out.timeoutMs = readInt(errors, member, at, RATE_LIMIT_REDIS_TIMEOUT_MS_MIN, RATE_LIMIT_REDIS_TIMEOUT_MS_MAX, out.timeoutMs);
    } else out.prefix = readString(errors, member, at, RATE_LIMIT_REDIS_PREFIX_MAX_LENGTH, RATE_LIMIT_REDIS_PREFIX_PHRASE());
  }
}
