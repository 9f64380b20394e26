// What the auth service said about a token, and the cache entry that remembers it.
import { Header } from "./headers";
import { JsonValue, parseJson, stringifyJson } from "./json";

export const enum Verdict { Allow = 0, Deny = 1, Error = 2 }

export function verdictName(v: i32): string {
  if (v == Verdict.Allow) return "allow";
  if (v == Verdict.Deny) return "deny";
  return "error";
}

export class AuthDecision {
  verdict: i32 = Verdict.Error;
  /** Status to answer a deny with (401, 403, …); 0 otherwise. */
  status: i32 = 0;
  /** RFC 6750 error code for a deny: "invalid_token", "insufficient_scope" or "". */
  errorCode: string = "";
  /** Short machine-readable reason for logs and metrics, e.g. "inactive", "expired", "auth_status_503". */
  reason: string = "";
  subject: string = "";
  groups: Array<string> = new Array<string>();
  /** Kept only when the policy has requirements (policy-routes.ts): the token's scopes and audiences, and the
   *  claims a requirement reads (name → value; a multi-valued claim as one entry per value). */
  scopes: Array<string> = new Array<string>();
  audiences: Array<string> = new Array<string>();
  claims: Array<Header> = new Array<Header>();
  /** Identity headers for the upstream request. */
  upstreamHeaders: Array<Header> = new Array<Header>();
  /** How long this decision may be cached, in ms (0 = do not cache). */
  ttlMs: f64 = 0;
  /** Token expiry in epoch ms when the auth service told us (0 = unknown). Stale serving never passes it. */
  tokenExpMs: f64 = 0;
}

export class CachedDecision {
  decision: AuthDecision = new AuthDecision();
  /** Fresh until (epoch ms). */
  freshUntilMs: f64 = 0;
  /** May be served while the auth service fails, until (epoch ms); equals freshUntilMs for denies. */
  staleUntilMs: f64 = 0;
}

/** Compact JSON for shared stores (proxy-wasm shared data, Redis); identical on both planes. */
export function encodeCachedDecision(entry: CachedDecision): string {
  const d = entry.decision;
  const o = JsonValue.object();
  o.setNumber("v", 1);
  o.setNumber("verdict", f64(d.verdict));
  o.setNumber("status", f64(d.status));
  o.setString("error", d.errorCode);
  o.setString("reason", d.reason);
  o.setString("sub", d.subject);
  o.set("groups", stringList(d.groups));
  const headers = JsonValue.array();
  for (let i = 0; i < d.upstreamHeaders.length; i++) {
    headers.push(JsonValue.array().push(JsonValue.ofString(d.upstreamHeaders[i].name)).push(JsonValue.ofString(d.upstreamHeaders[i].value)));
  }
  o.set("headers", headers);
  // Present only when kept, so entries of policies without requirements stay as they were.
  if (d.scopes.length > 0) o.set("scope", stringList(d.scopes));
  if (d.audiences.length > 0) o.set("aud", stringList(d.audiences));
  if (d.claims.length > 0) {
    const claims = JsonValue.array();
    for (let i = 0; i < d.claims.length; i++) {
      claims.push(JsonValue.array().push(JsonValue.ofString(d.claims[i].name)).push(JsonValue.ofString(d.claims[i].value)));
    }
    o.set("claims", claims);
  }
  o.setNumber("exp", d.tokenExpMs);
  o.setNumber("fresh", entry.freshUntilMs);
  o.setNumber("stale", entry.staleUntilMs);
  return stringifyJson(o);
}

/** Null when the text is not an entry this version wrote (treated as a cache miss). */
export function decodeCachedDecision(text: string): CachedDecision | null {
  const parsed = parseJson(text);
  if (!parsed.ok()) return null;
  const o = parsed.value!;
  if (!o.isObject()) return null;
  const version = o.get("v");
  if (version == null || !version.isNumber() || version.num != 1) return null;
  const verdict = numberField(o, "verdict");
  const status = numberField(o, "status");
  const fresh = numberField(o, "fresh");
  const stale = numberField(o, "stale");
  const exp = numberField(o, "exp");
  const error = o.get("error");
  const reason = o.get("reason");
  const sub = o.get("sub");
  const groups = o.get("groups");
  const headers = o.get("headers");
  if (verdict < 0 || verdict > 1 || status < 0 || fresh < 0 || stale < 0 || exp < 0) return null;
  if (error == null || !error.isString() || reason == null || !reason.isString() || sub == null || !sub.isString()) return null;
  if (groups == null || !groups.isArray() || headers == null || !headers.isArray()) return null;
  const entry = new CachedDecision();
  const d = entry.decision;
  d.verdict = i32(verdict);
  d.status = i32(status);
  d.errorCode = error.str;
  d.reason = reason.str;
  d.subject = sub.str;
  d.tokenExpMs = exp;
  for (let i = 0; i < groups.items.length; i++) {
    if (!groups.items[i].isString()) return null;
    d.groups.push(groups.items[i].str);
  }
  if (!readPairs(headers, d.upstreamHeaders)) return null;
  const scope = o.get("scope");
  if (scope != null && !readStrings(scope, d.scopes)) return null;
  const aud = o.get("aud");
  if (aud != null && !readStrings(aud, d.audiences)) return null;
  const claims = o.get("claims");
  if (claims != null && !readPairs(claims, d.claims)) return null;
  entry.freshUntilMs = fresh;
  entry.staleUntilMs = stale;
  return entry;
}

function stringList(items: Array<string>): JsonValue {
  const out = JsonValue.array();
  for (let i = 0; i < items.length; i++) out.push(JsonValue.ofString(items[i]));
  return out;
}

function readStrings(list: JsonValue, out: Array<string>): bool {
  if (!list.isArray()) return false;
  for (let i = 0; i < list.items.length; i++) {
    if (!list.items[i].isString()) return false;
    out.push(list.items[i].str);
  }
  return true;
}

function readPairs(list: JsonValue, out: Array<Header>): bool {
  if (!list.isArray()) return false;
  for (let i = 0; i < list.items.length; i++) {
    const pair = list.items[i];
    if (!pair.isArray() || pair.items.length != 2 || !pair.items[0].isString() || !pair.items[1].isString()) return false;
    out.push(new Header(pair.items[0].str, pair.items[1].str));
  }
  return true;
}

function numberField(o: JsonValue, key: string): f64 {
  const v = o.get(key);
  return v != null && v.isNumber() ? v.num : -1;
}
