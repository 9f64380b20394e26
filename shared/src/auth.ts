// The conversation with the auth service: what to send, and what its answer means.
// `introspection` follows RFC 7662; `forward` follows Envoy ext_authz's HTTP service contract
// (2xx allows and listed response headers go upstream; other statuses deny with that status).
import { forwardedValue } from "./cache-key";
import { utf8ByteString, utf8TextOf } from "./utf8";
import { AuthDecision, Verdict } from "./decision";
import { Header, firstHeader } from "./headers";
import { JsonValue, jsonPointer, parseJson, stringifyJson } from "./json";
import { AuthMode, AuthPolicy } from "./policy";

/** Bodies larger than this are not read: the answer counts as an auth-service failure. */
export const MAX_AUTH_RESPONSE_BYTES: i32 = 65536;

export class AuthRequest {
  method: string = "POST";
  /** Envoy plane: request path on the cluster. */
  path: string = "/";
  /** Envoy plane: `:authority`. */
  authority: string = "";
  /** Kong plane: absolute URL. */
  url: string = "";
  /** Values are byte strings (one character per byte, sent byte for byte): forwarded client values as received. */
  headers: Array<Header> = new Array<Header>();
  body: string = "";
  timeoutMs: i32 = 200;
}

export function buildAuthRequest(auth: AuthPolicy, token: string, headers: Array<Header>, method: string, path: string): AuthRequest {
  const req = new AuthRequest();
  req.path = auth.service.path;
  req.authority = auth.service.authority;
  req.url = auth.service.url;
  req.timeoutMs = auth.timeoutMs;
  if (auth.mode == AuthMode.Introspection) {
    req.method = "POST";
    req.headers.push(new Header("content-type", "application/x-www-form-urlencoded"));
    req.headers.push(new Header("accept", "application/json"));
    if (auth.introspectionAuthorization.length > 0) req.headers.push(new Header("authorization", utf8ByteString(auth.introspectionAuthorization)));
    req.body = "token=" + formEncode(token) + "&token_type_hint=access_token";
  } else {
    req.method = "GET";
    req.headers.push(new Header("authorization", "Bearer " + token));
  }
  for (let i = 0; i < auth.forwardHeaders.length; i++) {
    const name = auth.forwardHeaders[i];
    const value = forwardedValue(name, headers, method, path);
    if (name == ":method") req.headers.push(new Header("x-forwarded-method", value));
    else if (name == ":path") req.headers.push(new Header("x-forwarded-uri", value));
    else if (value.length > 0 && firstHeader(req.headers, name) == null) req.headers.push(new Header(name, value));
  }
  return req;
}

/** application/x-www-form-urlencoded byte encoding of an ASCII token. */
export function formEncode(s: string): string {
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const unreserved = (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) ||
      c == 0x2d || c == 0x2e || c == 0x5f || c == 0x2a;
    if (unreserved) out += String.fromCharCode(c);
    else if (c == 0x20) out += "+";
    else if (c < 0x80) out += "%" + HEX_UPPER.charAt(c >> 4) + HEX_UPPER.charAt(c & 15);
    else out += "%3F"; // tokens are validated ASCII before they get here
  }
  return out;
}

const HEX_UPPER = "0123456789ABCDEF";

/** Interprets a complete auth-service answer. Header values and `body` are byte strings (one character per byte
 *  received), read as text by one rule on both planes (DECISIONS.md §3.3): a body that is not UTF-8 is no JSON. */
export function interpretAuthResponse(auth: AuthPolicy, status: i32, headers: Array<Header>, body: string, nowMs: f64): AuthDecision {
  if (status >= 500 || status == 429 || status < 200) return authError("auth_status_" + status.toString());
  let json: JsonValue | null = null;
  if (auth.mode == AuthMode.Introspection || auth.bodyRule != null) {
    const text = utf8TextOf(body);
    if (text != null) {
      const parsed = parseJson(text);
      if (parsed.ok()) json = parsed.value;
    }
  }
  const decision = auth.mode == AuthMode.Introspection
    ? fromIntrospection(auth, status, json, nowMs)
    : fromForward(auth, status, headers);
  if (decision.verdict != Verdict.Allow) return finishDeny(auth, decision);
  const rule = auth.bodyRule;
  if (rule != null) {
    const hit = json != null ? jsonPointer(json, rule.pointer) : null;
    if (hit == null || stringifyJson(hit) != rule.equals) return finishDeny(auth, deny(401, "invalid_token", "body_rule"));
  }
  decision.ttlMs = allowTtlMs(auth, decision.tokenExpMs, headers, nowMs);
  return decision;
}

function fromIntrospection(auth: AuthPolicy, status: i32, json: JsonValue | null, nowMs: f64): AuthDecision {
  if (status != 200) return authError("auth_status_" + status.toString());
  if (json == null || !json.isObject()) return authError("auth_bad_body");
  const active = json.get("active");
  if (active == null || !active.isBool()) return authError("auth_bad_body");
  if (!active.bool) return deny(401, "invalid_token", "inactive");
  const skewMs = auth.clockSkewSeconds * 1000;
  const exp = json.get("exp");
  let expMs: f64 = 0;
  if (exp != null) {
    if (!exp.isNumber()) return authError("auth_bad_body");
    expMs = exp.num * 1000;
    if (expMs + skewMs <= nowMs) return deny(401, "invalid_token", "expired");
  }
  const nbf = json.get("nbf");
  if (nbf != null) {
    if (!nbf.isNumber()) return authError("auth_bad_body");
    if (nbf.num * 1000 - skewMs > nowMs) return deny(401, "invalid_token", "not_yet_valid");
  }
  return identityFromClaims(auth, json, "sub", "groups", "active", expMs);
}

/** An allow whose identity comes from a claims set (an introspection answer, or a verified JWT's payload): the
 *  subject and groups claims named, `auth.headerMappings` (`from` = claim name), and what requirements read. */
export function identityFromClaims(auth: AuthPolicy, json: JsonValue, subjectClaim: string, groupsClaim: string, reason: string, expMs: f64): AuthDecision {
  const decision = new AuthDecision();
  decision.verdict = Verdict.Allow;
  decision.reason = reason;
  decision.tokenExpMs = expMs;
  const sub = json.get(subjectClaim);
  if (sub != null && sub.isString()) decision.subject = sub.str;
  decision.groups = groupsOf(json.get(groupsClaim));
  if (decision.subject.length > 0) decision.upstreamHeaders.push(new Header(auth.subjectHeader, decision.subject));
  if (decision.groups.length > 0) decision.upstreamHeaders.push(new Header(auth.groupsHeader, decision.groups.join(",")));
  for (let i = 0; i < auth.headerMappings.length; i++) {
    const mapping = auth.headerMappings[i];
    const claim = json.get(mapping.from);
    if (claim == null) continue;
    const value = claimText(claim);
    if (value.length > 0) decision.upstreamHeaders.push(new Header(mapping.to, value));
  }
  if (auth.keepsAuthorization) keepIntrospected(auth, json, decision);
  return checkedIdentity(decision);
}

/** What requirements read (requirements.ts): `scope` (RFC 7662: space-separated; an array is accepted too),
 *  `aud` (string or array), and each needed claim (scalars as text, arrays as one value per scalar item). */
function keepIntrospected(auth: AuthPolicy, json: JsonValue, decision: AuthDecision): void {
  const scope = json.get("scope");
  if (scope != null) decision.scopes = scope.isString() ? splitSpaces(scope.str) : claimValues(scope);
  const aud = json.get("aud");
  if (aud != null) decision.audiences = claimValues(aud);
  for (let i = 0; i < auth.neededClaims.length; i++) {
    const name = auth.neededClaims[i];
    const claim = json.get(name);
    if (claim == null) continue;
    const values = claimValues(claim);
    for (let j = 0; j < values.length; j++) decision.claims.push(new Header(name, values[j]));
  }
}

/** Forward mode: the same from the auth-response headers `auth.claimHeaders` names (lists comma- or
 *  space-separated). */
function keepForwarded(auth: AuthPolicy, headers: Array<Header>, decision: AuthDecision): void {
  for (let i = 0; i < auth.claimHeaders.length; i++) {
    const claim = auth.claimHeaders[i].from;
    const value = firstHeader(headers, auth.claimHeaders[i].to);
    if (value == null) continue;
    const values = splitList(value);
    if (claim == "scope") decision.scopes = values;
    else if (claim == "aud") decision.audiences = values;
    if (!auth.neededClaims.includes(claim)) continue;
    for (let j = 0; j < values.length; j++) decision.claims.push(new Header(claim, values[j]));
  }
}

/** A claim's values as text: a string, a number or boolean as JSON prints it, or each scalar of an array. */
export function claimValues(claim: JsonValue): Array<string> {
  const out = new Array<string>();
  if (claim.isString()) out.push(claim.str);
  else if (claim.isNumber() || claim.isBool()) out.push(stringifyJson(claim));
  else if (claim.isArray()) {
    for (let i = 0; i < claim.items.length; i++) {
      const item = claim.items[i];
      if (item.isString()) out.push(item.str);
      else if (item.isNumber() || item.isBool()) out.push(stringifyJson(item));
    }
  }
  return out;
}

function splitSpaces(s: string): Array<string> {
  const out = new Array<string>();
  const parts = s.split(" ");
  for (let i = 0; i < parts.length; i++) if (parts[i].length > 0) out.push(parts[i]);
  return out;
}

function fromForward(auth: AuthPolicy, status: i32, headers: Array<Header>): AuthDecision {
  if (status < 200 || status > 299) {
    if (status == 401) return deny(401, "invalid_token", "auth_status_401");
    if (status == 403) return deny(403, "insufficient_scope", "auth_status_403");
    return deny(status, "", "auth_status_" + status.toString());
  }
  const decision = new AuthDecision();
  decision.verdict = Verdict.Allow;
  decision.reason = "auth_status_" + status.toString();
  const sub = headerText(headers, auth.subjectHeader);
  if (sub == null) return authError("auth_bad_identity");
  if (sub.length > 0) {
    decision.subject = sub;
    decision.upstreamHeaders.push(new Header(auth.subjectHeader, sub));
  }
  const groups = headerText(headers, auth.groupsHeader);
  if (groups == null) return authError("auth_bad_identity");
  if (groups.length > 0) {
    decision.groups = splitList(groups);
    decision.upstreamHeaders.push(new Header(auth.groupsHeader, decision.groups.join(",")));
  }
  for (let i = 0; i < auth.headerMappings.length; i++) {
    const mapping = auth.headerMappings[i];
    const value = headerText(headers, mapping.from);
    if (value == null) return authError("auth_bad_identity");
    if (value.length > 0) decision.upstreamHeaders.push(new Header(mapping.to, value));
  }
  if (auth.keepsAuthorization) keepForwarded(auth, headers, decision);
  return checkedIdentity(decision);
}

/** The first `name` header of the answer as text (its bytes read as UTF-8): "" when absent, null when not UTF-8. */
function headerText(headers: Array<Header>, name: string): string | null {
  const raw = firstHeader(headers, name);
  return raw == null ? "" : utf8TextOf(raw);
}

/** An identity value is text meshgate sends upstream and keys limits and canary buckets on: one with a control
 *  character (CR/LF would be header injection, others hide in logs) or a lone surrogate (no UTF-8 form: it
 *  would go out as U+FFFD, another identity) makes the whole answer unusable (DECISIONS.md §3.3). */
function checkedIdentity(decision: AuthDecision): AuthDecision {
  for (let i = 0; i < decision.upstreamHeaders.length; i++) {
    if (!isIdentityText(decision.upstreamHeaders[i].value)) return authError("auth_bad_identity");
  }
  return decision;
}

/** At most 8192 UTF-16 code units, no C0 control but tab, no DEL, no C1 control, no lone surrogate. */
export function isIdentityText(value: string): bool {
  if (value.length > 8192) return false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if ((c < 0x20 && c != 0x09) || (c >= 0x7f && c <= 0x9f)) return false;
    if (c >= 0xd800 && c <= 0xdbff) {
      if (i + 1 < value.length && value.charCodeAt(i + 1) >= 0xdc00 && value.charCodeAt(i + 1) <= 0xdfff) i++;
      else return false;
    } else if (c >= 0xdc00 && c <= 0xdfff) return false;
  }
  return true;
}

/** A transport-level failure: timeout, connect error, reset, oversized body. */
export function authFailure(kind: string): AuthDecision {
  return authError("auth_" + kind);
}

export function authError(reason: string): AuthDecision {
  const d = new AuthDecision();
  d.verdict = Verdict.Error;
  d.reason = reason;
  return d;
}

export function deny(status: i32, errorCode: string, reason: string): AuthDecision {
  const d = new AuthDecision();
  d.verdict = Verdict.Deny;
  d.status = status;
  d.errorCode = errorCode;
  d.reason = reason;
  return d;
}

export function finishDeny(auth: AuthPolicy, d: AuthDecision): AuthDecision {
  if (d.verdict == Verdict.Deny) d.ttlMs = auth.cache.negativeTtlSeconds * 1000;
  return d;
}

/** min(configured TTL, token exp − now − skew, Cache-Control max-age); no-store/no-cache → 0. */
export function allowTtlMs(auth: AuthPolicy, tokenExpMs: f64, headers: Array<Header>, nowMs: f64): f64 {
  let ttl = auth.cache.ttlSeconds * 1000;
  if (tokenExpMs > 0) {
    const untilExp = tokenExpMs - nowMs - auth.clockSkewSeconds * 1000;
    if (untilExp < ttl) ttl = untilExp;
  }
  const cacheControl = firstHeader(headers, "cache-control");
  if (cacheControl != null) {
    const directives = cacheControl.split(",");
    for (let i = 0; i < directives.length; i++) {
      const directive = directives[i].trim().toLowerCase();
      if (directive == "no-store" || directive == "no-cache" || directive == "private=\"\"") return 0;
      if (directive.startsWith("max-age=")) {
        const seconds = parseDeltaSeconds(directive.substring(8));
        if (seconds >= 0 && seconds * 1000 < ttl) ttl = seconds * 1000;
      }
    }
  }
  return ttl > 0 ? Math.floor(ttl) : 0;
}

/** RFC 9111 delta-seconds (digits only); -1 when malformed. */
function parseDeltaSeconds(s: string): f64 {
  let text = s;
  if (text.length >= 2 && text.charCodeAt(0) == 0x22 && text.charCodeAt(text.length - 1) == 0x22) text = text.substring(1, text.length - 1);
  if (text.length == 0 || text.length > 10) return -1;
  let n: f64 = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return -1;
    n = n * 10 + f64(c - 0x30);
  }
  return n;
}

/** Groups claim: an array of strings, or one string of comma/space-separated names. */
function groupsOf(claim: JsonValue | null): Array<string> {
  const out = new Array<string>();
  if (claim == null) return out;
  if (claim.isString()) return splitList(claim.str);
  if (!claim.isArray()) return out;
  for (let i = 0; i < claim.items.length; i++) {
    const item = claim.items[i];
    if (item.isString() && item.str.length > 0 && !hasComma(item.str)) out.push(item.str);
  }
  return out;
}

function hasComma(s: string): bool { return s.indexOf(",") >= 0; }

export function splitList(s: string): Array<string> {
  const out = new Array<string>();
  const parts = s.replaceAll(" ", ",").split(",");
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i].trim();
    if (part.length > 0) out.push(part);
  }
  return out;
}

/** A claim as header text: strings as-is, numbers/booleans printed, arrays of scalars comma-joined. */
function claimText(claim: JsonValue): string {
  if (claim.isString()) return claim.str;
  if (claim.isNumber() || claim.isBool()) return stringifyJson(claim);
  if (claim.isArray()) {
    const parts = new Array<string>();
    for (let i = 0; i < claim.items.length; i++) {
      const item = claim.items[i];
      if (item.isString()) parts.push(item.str);
      else if (item.isNumber() || item.isBool()) parts.push(stringifyJson(item));
    }
    return parts.join(",");
  }
  return "";
}
