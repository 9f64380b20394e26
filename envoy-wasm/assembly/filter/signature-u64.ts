// The Envoy plane's signature verifier behind the core's SignatureVerifier port (the Kong plane supplies
// node:crypto the same way): ES256 on the 64-bit P-256 arithmetic of p256-u64.ts, which only asc can compile;
// RS256 and PS256 stay on the portable verifier. The Wycheproof suites and a differential test against
// node:crypto hold it to the same answers as the other two (test/envoy-wasm/signature-u64.test.ts).
import { ALG_ES256, PublicJwk } from "../../../shared/src/jwk";
import { SignatureVerifier } from "../../../shared/src/signature";
import { verifyEs256 } from "./p256-u64";
import { sha256Bytes } from "./sha256";

export class U64SignatureVerifier extends SignatureVerifier {
  verify(alg: string, key: PublicJwk, signingInput: Uint8Array, signature: Uint8Array): bool {
    if (alg != ALG_ES256) return super.verify(alg, key, signingInput, signature);
    // ecPoint is set once the JWK parser has checked the point is on the curve.
    if (!key.fits(alg) || key.ecPoint == null) return false;
    return verifyEs256(key.x, key.y, sha256Bytes(signingInput), signature);
  }
}
