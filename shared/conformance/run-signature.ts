// Conformance kinds for signature verification, keys, JWS and JWTs: signature.verify, jwk.parse, jwks.parse,
// jws.verify, jwt.verify.
import { fromHex } from "../src/bytes";
import { JsonValue, stringifyJson } from "../src/json";
import { parsePublicJwk } from "../src/jwk";
import { KeySet, parseKeySet } from "../src/jwks";
import { checkJwsSignature, parseJws } from "../src/jws";
import { JwtRules, verifyJwt } from "../src/jwt";
import { num, str, stringArray, strings } from "./inputs";
import { signatureVerifier } from "./verifier";

export function runSignature(kind: string, input: JsonValue): JsonValue | null {
  const verifier = signatureVerifier();
  if (kind == "signature.verify") {
    // input: { alg, jwk: {…}, cases: [{ msg: hex, sig: hex }] } → { valid: [bool per case] } or { keyError }
    // (one key, many signatures: a key is parsed once, as a key set is)
    const jwk = input.get("jwk");
    const parsed = parsePublicJwk(jwk != null ? jwk : JsonValue.nul());
    if (parsed.key == null) return JsonValue.object().setString("keyError", parsed.error);
    const alg = str(input, "alg", "");
    const valid = JsonValue.array();
    const cases = input.get("cases");
    if (cases != null && cases.isArray()) {
      for (let i = 0; i < cases.items.length; i++) {
        const msg = fromHex(str(cases.items[i], "msg", ""));
        const sig = fromHex(str(cases.items[i], "sig", ""));
        if (msg == null || sig == null) return JsonValue.object().setString("harnessError", "msg and sig must be hex");
        valid.push(JsonValue.ofBool(verifier.verify(alg, parsed.key!, msg, sig)));
      }
    }
    return JsonValue.object().set("valid", valid);
  }
  if (kind == "jwk.parse") {
    // input: { jwk: {…} } → { ok, error } plus kty, crv, kid when accepted
    const jwk = input.get("jwk");
    const parsed = parsePublicJwk(jwk != null ? jwk : JsonValue.nul());
    const out = JsonValue.object().setBool("ok", parsed.key != null);
    if (parsed.key == null) return out.setString("error", parsed.error);
    const key = parsed.key!;
    out.setString("kty", key.kty).setString("crv", key.crv);
    if (key.hasKid) out.setString("kid", key.kid);
    return out;
  }
  if (kind == "jwks.parse") {
    // input: { text } → { ok, error } or { ok, kids: [..], skipped: [..] }
    const parsed = parseKeySet(str(input, "text", ""));
    const out = JsonValue.object().setBool("ok", parsed.keySet != null);
    if (parsed.keySet == null) return out.setString("error", parsed.error);
    const kids = new Array<string>();
    for (let i = 0; i < parsed.keySet!.keys.length; i++) kids.push(parsed.keySet!.keys[i].kid);
    return out.set("kids", stringArray(kids)).set("skipped", stringArray(parsed.keySet!.skipped));
  }
  if (kind == "jws.verify") {
    // input: { token, jwks: {keys:[..]}, algorithms } → { ok, reason } (checks 1–5 of jwt.verify, any payload)
    const jwks = input.get("jwks");
    const keys = parseKeySet(jwks != null ? stringifyJson(jwks) : "");
    const parts = parseJws(str(input, "token", ""));
    const reason = parts == null ? "malformed"
      : checkJwsSignature(parts, keys.keySet != null ? keys.keySet! : new KeySet(), strings(input, "algorithms"), verifier);
    return JsonValue.object().setBool("ok", reason.length == 0).setString("reason", reason);
  }
  if (kind == "jwt.verify") {
    // input: { token, jwks: {keys:[..]}, algorithms?, issuers?, audiences?, clockSkewSeconds?, now }
    //   → { ok, reason, kid } plus { sub, exp } when ok
    const jwks = input.get("jwks");
    const keys = parseKeySet(jwks != null ? stringifyJson(jwks) : "");
    const rules = new JwtRules();
    if (input.has("algorithms")) rules.algorithms = strings(input, "algorithms");
    rules.issuers = strings(input, "issuers");
    rules.audiences = strings(input, "audiences");
    rules.clockSkewSeconds = num(input, "clockSkewSeconds", rules.clockSkewSeconds);
    const verdict = verifyJwt(str(input, "token", ""), keys.keySet != null ? keys.keySet! : new KeySet(), rules, num(input, "now", 0), verifier);
    const out = JsonValue.object().setBool("ok", verdict.ok).setString("reason", verdict.reason).setString("kid", verdict.kid);
    if (verdict.ok) {
      const sub = verdict.claims!.get("sub");
      if (sub != null) out.set("sub", sub);
      out.setNumber("exp", verdict.exp);
    }
    return out;
  }
  return null;
}
