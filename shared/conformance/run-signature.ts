// Conformance kinds for signature verification and keys: signature.verify, jwk.parse.
import { fromHex } from "../src/bytes";
import { JsonValue } from "../src/json";
import { parsePublicJwk } from "../src/jwk";
import { SignatureVerifier } from "../src/signature";
import { str } from "./inputs";

const verifier = new SignatureVerifier();

export function runSignature(kind: string, input: JsonValue): JsonValue | null {
  if (kind == "signature.verify") {
    // input: { alg, jwk: {…}, msg: hex, sig: hex } → { valid } or { keyError }
    const jwk = input.get("jwk");
    const parsed = parsePublicJwk(jwk != null ? jwk : JsonValue.nul());
    if (parsed.key == null) return JsonValue.object().setString("keyError", parsed.error);
    const msg = fromHex(str(input, "msg", ""));
    const sig = fromHex(str(input, "sig", ""));
    if (msg == null || sig == null) return JsonValue.object().setString("harnessError", "msg and sig must be hex");
    return JsonValue.object().setBool("valid", verifier.verify(str(input, "alg", ""), parsed.key!, msg!, sig!));
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
