// JWT verification (RFC 7519 over RFC 7515 compact JWS), one decision for both planes. The checks run in this
// order and the first failure names the reason:
//   malformed        compact syntax (3 parts, canonical base64url without padding, bounded sizes), header and
//                    payload UTF-8 JSON objects without duplicate members, no `crit`
//   alg_not_allowed  header `alg` outside the allow list; `none` and every HS* are refused whatever the list says
//   unknown_kid      `kid` not in the key set (the caller may refetch the set once per cooldown and retry)
//   missing_kid      no `kid` and not exactly one key in the set fits the algorithm
//   ambiguous_kid    more than one key in the set has this `kid` and fits the algorithm
//   key_mismatch     the key with this `kid` does not fit `alg` (type, curve or its own `alg`): no algorithm confusion
//   bad_signature    the signature does not verify
//   invalid_claims   exp/nbf/iat not numbers, aud neither a string nor an array of strings, iss not a string
//   missing_exp      no `exp` (a token that never expires is not accepted)
//   expired          now >= exp + skew
//   not_yet_valid    now < nbf - skew
//   issued_in_future iat > now + skew
//   wrong_issuer     `iss` not one of the configured issuers (when some are configured)
//   wrong_audience   no `aud` value among the configured audiences (when some are configured)
import { base64urlDecodeRange } from "./bytes";
import { JsonValue, parseJson } from "./json";
import { ALG_ES256, ALG_RS256, PublicJwk, VERIFIABLE_ALGORITHMS } from "./jwk";
import { KeySet } from "./jwks";
import { SignatureVerifier } from "./signature";
import { utf8Decode, utf8Encode } from "./utf8";

export const MAX_JWT_BYTES: i32 = 16384;
export const MAX_JWT_HEADER_BYTES: i32 = 2048;

export class JwtRules {
  algorithms: Array<string> = [ALG_ES256, ALG_RS256];
  issuers: Array<string> = new Array<string>();
  audiences: Array<string> = new Array<string>();
  clockSkewSeconds: f64 = 60;
}

export class JwtVerdict {
  ok: bool = false;
  reason: string = "";
  /** The header's kid ("" when absent): the caller refetches the key set on `unknown_kid`. */
  kid: string = "";
  /** The verified claims set (null unless ok). */
  claims: JsonValue | null = null;
  /** `exp` in seconds (for capping the decision cache TTL); NaN when unknown. */
  exp: f64 = NaN;
}

function refuse(reason: string, kid: string): JwtVerdict {
  const v = new JwtVerdict();
  v.reason = reason;
  v.kid = kid;
  return v;
}

/** Whether an algorithm may ever be allowed: only those the core verifies; never `none` or HS*. */
export function isAllowableAlgorithm(alg: string): bool {
  return VERIFIABLE_ALGORITHMS.includes(alg);
}

export function verifyJwt(token: string, keys: KeySet, rules: JwtRules, nowSeconds: f64, verifier: SignatureVerifier): JwtVerdict {
  // 1. Syntax.
  if (token.length > MAX_JWT_BYTES) return refuse("malformed", "");
  const dot1 = token.indexOf(".");
  const dot2 = dot1 < 0 ? -1 : token.indexOf(".", dot1 + 1);
  if (dot1 <= 0 || dot2 < 0 || dot2 == dot1 + 1 || dot2 == token.length - 1 || token.indexOf(".", dot2 + 1) >= 0) {
    return refuse("malformed", "");
  }
  if (dot1 > (MAX_JWT_HEADER_BYTES * 4 + 2) / 3) return refuse("malformed", "");
  const headerBytes = base64urlDecodeRange(token, 0, dot1);
  const payloadBytes = base64urlDecodeRange(token, dot1 + 1, dot2);
  const signature = base64urlDecodeRange(token, dot2 + 1, token.length);
  if (headerBytes == null || payloadBytes == null || signature == null) return refuse("malformed", "");
  const header = jsonObjectOf(headerBytes);
  const claims = jsonObjectOf(payloadBytes);
  if (header == null || claims == null || header.has("crit")) return refuse("malformed", "");
  const algValue = header.get("alg");
  const kidValue = header.get("kid");
  if (algValue == null || !algValue.isString() || (kidValue != null && !kidValue.isString())) return refuse("malformed", "");
  const alg = algValue.str;
  const kid = kidValue != null ? kidValue.str : "";

  // 2. Algorithm allow list.
  if (!isAllowableAlgorithm(alg) || !rules.algorithms.includes(alg)) return refuse("alg_not_allowed", kid);

  // 3. Key lookup; 4. key fits the algorithm.
  let key: PublicJwk | null = null;
  if (kidValue != null) {
    let withKid = 0;
    let fitting = 0;
    for (let i = 0; i < keys.keys.length; i++) {
      const candidate = keys.keys[i];
      if (!candidate.hasKid || candidate.kid != kid) continue;
      withKid++;
      if (candidate.fits(alg)) { fitting++; key = candidate; }
    }
    if (withKid == 0) return refuse("unknown_kid", kid);
    if (fitting == 0) return refuse("key_mismatch", kid);
    if (fitting > 1) return refuse("ambiguous_kid", kid);
  } else {
    let fitting = 0;
    for (let i = 0; i < keys.keys.length; i++) {
      if (keys.keys[i].fits(alg)) { fitting++; key = keys.keys[i]; }
    }
    if (fitting != 1) return refuse("missing_kid", kid);
  }

  // 5. Signature over the ASCII bytes of header.payload (base64url text: one byte per character).
  const signingInput = new Uint8Array(dot2);
  for (let i = 0; i < dot2; i++) signingInput[i] = u8(token.charCodeAt(i));
  if (!verifier.verify(alg, key!, signingInput, signature)) return refuse("bad_signature", kid);

  // 6. Time claims, 7. issuer, 8. audience.
  const exp = claims.get("exp");
  const nbf = claims.get("nbf");
  const iat = claims.get("iat");
  const iss = claims.get("iss");
  const aud = claims.get("aud");
  if ((exp != null && !exp.isNumber()) || (nbf != null && !nbf.isNumber()) || (iat != null && !iat.isNumber())) return refuse("invalid_claims", kid);
  if (iss != null && !iss.isString()) return refuse("invalid_claims", kid);
  const audiences = new Array<string>();
  if (aud != null) {
    if (aud.isString()) audiences.push(aud.str);
    else if (aud.isArray()) {
      for (let i = 0; i < aud.items.length; i++) {
        if (!aud.items[i].isString()) return refuse("invalid_claims", kid);
        audiences.push(aud.items[i].str);
      }
    } else return refuse("invalid_claims", kid);
  }
  if (exp == null) return refuse("missing_exp", kid);
  const skew = rules.clockSkewSeconds;
  if (nowSeconds >= exp.num + skew) return refuse("expired", kid);
  if (nbf != null && nowSeconds < nbf.num - skew) return refuse("not_yet_valid", kid);
  if (iat != null && iat.num > nowSeconds + skew) return refuse("issued_in_future", kid);
  if (rules.issuers.length > 0 && (iss == null || !rules.issuers.includes(iss.str))) return refuse("wrong_issuer", kid);
  if (rules.audiences.length > 0) {
    let match = false;
    for (let i = 0; i < audiences.length; i++) if (rules.audiences.includes(audiences[i])) match = true;
    if (!match) return refuse("wrong_audience", kid);
  }
  const verdict = new JwtVerdict();
  verdict.ok = true;
  verdict.kid = kid;
  verdict.claims = claims;
  verdict.exp = exp.num;
  return verdict;
}

/** Bytes → a JSON object, or null unless they are well-formed UTF-8 holding an object with no repeated member
 *  (a repeated `alg` or `exp` would let two readers of one token disagree). */
function jsonObjectOf(bytes: Uint8Array): JsonValue | null {
  const text = utf8Decode(bytes);
  const reencoded = utf8Encode(text);
  if (reencoded.length != bytes.length) return null;
  for (let i = 0; i < bytes.length; i++) if (reencoded[i] != bytes[i]) return null;
  const parsed = parseJson(text);
  if (!parsed.ok() || !parsed.value!.isObject()) return null;
  const value = parsed.value!;
  for (let i = 1; i < value.keys.length; i++) {
    for (let j = 0; j < i; j++) if (value.keys[i] == value.keys[j]) return null;
  }
  return value;
}
