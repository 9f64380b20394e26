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
import { JsonValue } from "./json";
import { ALG_ES256, ALG_RS256 } from "./jwk";
import { KeySet } from "./jwks";
import { checkJwsSignature, jsonObjectOf, parseJws } from "./jws";
import { SignatureVerifier } from "./signature";

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

export function verifyJwt(token: string, keys: KeySet, rules: JwtRules, nowSeconds: f64, verifier: SignatureVerifier): JwtVerdict {
  // 1. Syntax (the payload must be a claims set: a JSON object).
  const parts = parseJws(token);
  if (parts == null) return refuse("malformed", "");
  const kid = parts.kid;
  const claims = jsonObjectOf(parts.payload);
  if (claims == null) return refuse("malformed", "");
  // 2–5. Algorithm, key lookup, key fits the algorithm, signature.
  const failure = checkJwsSignature(parts, keys, rules.algorithms, verifier);
  if (failure.length > 0) return refuse(failure, kid);

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
