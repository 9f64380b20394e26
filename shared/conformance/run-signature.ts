// Conformance kinds for signature verification and keys: signature.verify, jwk.parse.
import { fromHex } from "../src/bytes";
import { JsonValue } from "../src/json";
import { parsePublicJwk } from "../src/jwk";
import { SignatureVerifier } from "../src/signature";
import { str } from "./inputs";

const verifier = new SignatureVerifier();

export function runSignature(kind: string, input: JsonValue): JsonValue | null {
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
  return null;
}
