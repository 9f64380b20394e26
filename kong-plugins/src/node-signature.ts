// The Kong plane's signature verification: node:crypto (OpenSSL) behind the core's SignatureVerifier port.
// The core has parsed and validated the key (curve point, modulus size, use/alg), so this only builds a
// KeyObject once per key and asks OpenSSL. JWS ES256 signatures are r‖s (RFC 7518 §3.4): dsaEncoding
// 'ieee-p1363'. The Wycheproof suites and a differential test hold this and the portable verifier to the
// same answers.
import { KeyObject, constants, createPublicKey, verify } from "node:crypto";
import { ALG_ES256, ALG_PS256, ALG_RS256, PublicJwk } from "../../shared/src/jwk";
import { SignatureVerifier } from "../../shared/src/signature";

const b64url = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64url");

export class NodeSignatureVerifier extends SignatureVerifier {
  private readonly keys = new WeakMap<PublicJwk, KeyObject>();

  override verify(alg: string, key: PublicJwk, signingInput: Uint8Array, signature: Uint8Array): boolean {
    if (!key.fits(alg)) return false;
    const keyObject = this.keyObject(key);
    try {
      if (alg === ALG_ES256) {
        if (signature.length !== 64) return false;
        return verify("sha256", signingInput, { key: keyObject, dsaEncoding: "ieee-p1363" }, signature);
      }
      if (alg === ALG_RS256) return verify("sha256", signingInput, { key: keyObject, padding: constants.RSA_PKCS1_PADDING }, signature);
      if (alg === ALG_PS256) {
        return verify("sha256", signingInput, { key: keyObject, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, signature);
      }
    } catch {
      return false; // OpenSSL refuses what it cannot parse (a wrong-length RSA signature, say): not valid
    }
    return false;
  }

  private keyObject(key: PublicJwk): KeyObject {
    let keyObject = this.keys.get(key);
    if (keyObject === undefined) {
      const jwk = key.kty === "EC"
        ? { kty: "EC", crv: key.crv, x: b64url(key.x), y: b64url(key.y) }
        : { kty: "RSA", n: b64url(key.n), e: b64url(key.e) };
      keyObject = createPublicKey({ key: jwk, format: "jwk" });
      this.keys.set(key, keyObject);
    }
    return keyObject;
  }
}
