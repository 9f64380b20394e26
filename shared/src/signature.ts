// The signature-verification port: one class that says what each plane supplies, like KeyDigest for the
// cache key. The portable implementation below serves the wasm plane (no crypto library there); the Kong plane
// overrides `verify` with node:crypto (kong-plugins/src/node-signature.ts). Both must agree on every input:
// the Wycheproof suites and a differential test run the two against each other.
import { sha256 } from "./digest";
import { verifyEcdsaP256 } from "./ecdsa";
import { ALG_ES256, ALG_PS256, ALG_RS256, PublicJwk } from "./jwk";
import { verifyRsaPkcs1Sha256, verifyRsaPssSha256 } from "./rsa";

export class SignatureVerifier {
  /** True when `signature` over `signingInput` verifies under `key` with `alg`. A key that does not fit `alg`
   *  (`key.fits`) never verifies. */
  verify(alg: string, key: PublicJwk, signingInput: Uint8Array, signature: Uint8Array): bool {
    if (!key.fits(alg)) return false;
    const hash = sha256(signingInput);
    if (alg == ALG_ES256) return key.ecPoint != null && verifyEcdsaP256(key.ecPoint!, hash, signature);
    if (alg == ALG_RS256) return key.rsa != null && verifyRsaPkcs1Sha256(key.rsa!, hash, signature);
    if (alg == ALG_PS256) return key.rsa != null && verifyRsaPssSha256(key.rsa!, hash, signature);
    return false;
  }
}
