// Conformance kinds for the auth conversation: token.extract, auth.request, auth.interpret,
// auth.cacheKey, auth.challenge, decision.codec. Inputs carry a policy document ({"auth": …}).
import { buildAuthRequest, interpretAuthResponse } from "../src/auth";
import { authFingerprint, decisionCacheKey } from "../src/cache-key";
import { bearerChallenge } from "../src/challenge";
import { decodeCachedDecision, encodeCachedDecision, verdictName } from "../src/decision";
import { Header, normalizeHeaders } from "../src/headers";
import { JsonValue } from "../src/json";
import { Policy } from "../src/policy";
import { policyFromJson } from "../src/policy-parse";
import { TokenOutcome, extractToken } from "../src/token";
import { num, str, stringArray } from "./inputs";

export function runAuth(kind: string, input: JsonValue): JsonValue | null {
  if (kind == "auth.challenge") {
    return JsonValue.object().setString("header", bearerChallenge(str(input, "realm", ""), str(input, "error", ""), str(input, "scope", "")));
  }
  if (kind == "decision.codec") {
    const decoded = decodeCachedDecision(str(input, "text", ""));
    const out = JsonValue.object().setBool("valid", decoded != null);
    if (decoded != null) out.setString("reencoded", encodeCachedDecision(decoded));
    return out;
  }
  if (kind != "token.extract" && kind != "auth.request" && kind != "auth.interpret" && kind != "auth.cacheKey") return null;
  const policy = policyOf(input);
  if (policy == null) return JsonValue.object().setString("harnessError", "invalid policy in input");
  const auth = policy.auth;
  const headers = headersOf(input.get("headers"));
  const method = str(input, "method", "GET");
  const path = str(input, "path", "/");
  if (kind == "token.extract") {
    const t = extractToken(auth, headers, path);
    const out = JsonValue.object().setString("outcome", tokenOutcomeName(t.outcome));
    if (t.outcome == TokenOutcome.Found) out.setString("token", t.token).setString("source", t.source);
    return out;
  }
  if (kind == "auth.request") {
    const r = buildAuthRequest(auth, str(input, "token", ""), headers, method, path);
    return JsonValue.object().setString("method", r.method).setString("path", r.path).setString("authority", r.authority)
      .setString("url", r.url).set("headers", headersJson(r.headers)).setString("body", r.body).setNumber("timeoutMs", f64(r.timeoutMs));
  }
  if (kind == "auth.cacheKey") {
    return JsonValue.object().setString("key", decisionCacheKey(authFingerprint(auth), auth, str(input, "token", ""), headers, method, path));
  }
  const response = input.get("response");
  const status = response != null ? i32(num(response, "status", 0)) : 0;
  const responseHeaders = response != null ? headersOf(response.get("headers")) : new Array<Header>();
  const body = response != null ? str(response, "body", "") : "";
  const d = interpretAuthResponse(auth, status, responseHeaders, body, num(input, "now", 0));
  const out = JsonValue.object().setString("verdict", verdictName(d.verdict)).setString("reason", d.reason);
  if (d.verdict == 1) out.setNumber("status", f64(d.status)).setString("error", d.errorCode);
  if (d.verdict == 0) out.setString("subject", d.subject).set("groups", stringArray(d.groups)).set("upstreamHeaders", headersJson(d.upstreamHeaders));
  if (d.verdict != 2) out.setNumber("ttlMs", d.ttlMs);
  return out;
}

export function policyOf(input: JsonValue): Policy | null {
  const doc = input.get("policy");
  if (doc == null) return null;
  const result = policyFromJson(doc);
  return result.errors.length == 0 ? result.policy : null;
}

export function headersOf(v: JsonValue | null): Array<Header> {
  const out = new Array<Header>();
  if (v == null || !v.isArray()) return out;
  for (let i = 0; i < v.items.length; i++) {
    const pair = v.items[i];
    if (pair.isArray() && pair.items.length == 2 && pair.items[0].isString() && pair.items[1].isString()) {
      out.push(new Header(pair.items[0].str, pair.items[1].str));
    }
  }
  return normalizeHeaders(out);
}

export function headersJson(headers: Array<Header>): JsonValue {
  const arr = JsonValue.array();
  for (let i = 0; i < headers.length; i++) {
    arr.push(JsonValue.array().push(JsonValue.ofString(headers[i].name)).push(JsonValue.ofString(headers[i].value)));
  }
  return arr;
}

function tokenOutcomeName(outcome: i32): string {
  if (outcome == TokenOutcome.Found) return "found";
  if (outcome == TokenOutcome.Missing) return "missing";
  if (outcome == TokenOutcome.InvalidToken) return "invalid_token";
  return "invalid_request";
}
