// Public JSON Web Keys (RFC 7517, RFC 7518 §6) for JWT verification: EC P-256 and RSA 2048..4096 bits only.
// A key is refused, with a reason, when it is not a usable public verification key: symmetric (`oct`) keys
// never (a JWKS publishes public keys; accepting `oct` would let a token be checked against a secret anyone
// can read), private members present (a set that leaks private keys is a broken or compromised publisher),
// `use`/`key_ops`/`alg` that say "not for verifying with the algorithms we offer", or key material that fails
// validation (point not on the curve, modulus size, even modulus, exponent).
import { base64urlDecode } from "./bytes";
import { JsonValue } from "./json";
import { JacobianPoint, p256 } from "./p256";
import { RsaPublicKey } from "./rsa";

export const ALG_ES256 = "ES256";
export const ALG_RS256 = "RS256";
export const ALG_PS256 = "PS256";

/** Algorithms the core can verify, in the order documentation lists them. */
export const VERIFIABLE_ALGORITHMS: Array<string> = [ALG_ES256, ALG_RS256, ALG_PS256];

const PRIVATE_MEMBERS: Array<string> = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

export class PublicJwk {
  /** "EC" or "RSA". */
  kty: string = "";
  /** "P-256" for EC keys, "" for RSA. */
  crv: string = "";
  kid: string = "";
  hasKid: bool = false;
  /** The key's own `alg`, "" when absent. */
  alg: string = "";
  /** Decoded members: x, y (32 bytes each) for EC; n, e (big-endian, as published) for RSA. */
  x: Uint8Array = new Uint8Array(0);
  y: Uint8Array = new Uint8Array(0);
  n: Uint8Array = new Uint8Array(0);
  e: Uint8Array = new Uint8Array(0);
  /** The validated forms the portable verifier uses. */
  ecPoint: JacobianPoint | null = null;
  rsa: RsaPublicKey | null = null;

  /** Whether this key may verify a JWS with header `alg`: the key type and curve fit it (no algorithm
   *  confusion: an RSA key never verifies ES256) and the key's own `alg`, when present, is that algorithm. */
  fits(alg: string): bool {
    if (this.alg.length > 0 && this.alg != alg) return false;
    if (alg == ALG_ES256) return this.kty == "EC" && this.crv == "P-256";
    if (alg == ALG_RS256 || alg == ALG_PS256) return this.kty == "RSA";
    return false;
  }
}

export class JwkResult {
  key: PublicJwk | null = null;
  /** Why the key was refused ("" when accepted). */
  error: string = "";
  static ok(key: PublicJwk): JwkResult { const r = new JwkResult(); r.key = key; return r; }
  static refused(error: string): JwkResult { const r = new JwkResult(); r.error = error; return r; }
}

/** A member's string value; "" when absent, null when present but not a string. */
function stringMember(jwk: JsonValue, name: string): string | null {
  const v = jwk.get(name);
  if (v == null) return "";
  return v.isString() ? v.str : null;
}

/** Parses one JWK object. */
export function parsePublicJwk(jwk: JsonValue): JwkResult {
  if (!jwk.isObject()) return JwkResult.refused("key is not a JSON object");
  const kty = stringMember(jwk, "kty");
  if (kty == null || kty.length == 0) return JwkResult.refused("kty missing or not a string");
  if (kty == "oct") return JwkResult.refused("symmetric (oct) keys are never accepted");
  if (kty != "EC" && kty != "RSA") return JwkResult.refused("unsupported kty");
  for (let i = 0; i < PRIVATE_MEMBERS.length; i++) {
    if (jwk.has(PRIVATE_MEMBERS[i])) return JwkResult.refused("private key member '" + PRIVATE_MEMBERS[i] + "' present");
  }
  const key = new PublicJwk();
  key.kty = kty;
  const kid = jwk.get("kid");
  if (kid != null) {
    if (!kid.isString()) return JwkResult.refused("kid is not a string");
    key.kid = kid.str;
    key.hasKid = true;
  }
  const use = jwk.get("use");
  if (use != null && (!use.isString() || use.str != "sig")) return JwkResult.refused("use is not \"sig\"");
  const ops = jwk.get("key_ops");
  if (ops != null) {
    let verify = false;
    if (!ops.isArray()) return JwkResult.refused("key_ops is not an array");
    for (let i = 0; i < ops.items.length; i++) {
      if (!ops.items[i].isString()) return JwkResult.refused("key_ops member is not a string");
      if (ops.items[i].str == "verify") verify = true;
    }
    if (!verify) return JwkResult.refused("key_ops does not include \"verify\"");
  }
  const alg = jwk.get("alg");
  if (alg != null) {
    if (!alg.isString()) return JwkResult.refused("alg is not a string");
    key.alg = alg.str;
  }
  const error = kty == "EC" ? readEc(jwk, key) : readRsa(jwk, key);
  if (error.length > 0) return JwkResult.refused(error);
  if (key.alg.length > 0 && !key.fits(key.alg)) return JwkResult.refused("alg " + key.alg + " does not fit this key or is not offered");
  return JwkResult.ok(key);
}

function readEc(jwk: JsonValue, key: PublicJwk): string {
  const crv = stringMember(jwk, "crv");
  if (crv == null || crv.length == 0) return "crv missing or not a string";
  if (crv != "P-256") return "unsupported crv";
  key.crv = crv;
  const x = decodeMember(jwk, "x");
  const y = decodeMember(jwk, "y");
  // RFC 7518 §6.2.1.2/3: each coordinate is the full 32 octets, leading zeros kept.
  if (x == null || y == null || x.length != 32 || y.length != 32) return "x and y must be 32-byte base64url";
  const point = p256().publicPoint(x, y);
  if (point == null) return "point is not on P-256";
  key.x = x;
  key.y = y;
  key.ecPoint = point;
  return "";
}

function readRsa(jwk: JsonValue, key: PublicJwk): string {
  const n = decodeMember(jwk, "n");
  const e = decodeMember(jwk, "e");
  if (n == null || e == null || n.length == 0 || e.length == 0) return "n and e must be base64url";
  if (e.length > 8) return "e is too long";
  const rsa = RsaPublicKey.of(n, e);
  if (rsa == null) return "RSA key must have an odd 2048..4096-bit modulus and an odd exponent 3 <= e < n";
  key.n = n;
  key.e = e;
  key.rsa = rsa;
  return "";
}

function decodeMember(jwk: JsonValue, name: string): Uint8Array | null {
  const v = jwk.get(name);
  if (v == null || !v.isString()) return null;
  return base64urlDecode(v.str);
}
