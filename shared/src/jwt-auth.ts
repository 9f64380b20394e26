// jwt mode's answer to "what does this token mean?": the local counterpart of interpretAuthResponse (auth.ts).
// A verified token becomes an allow with the identity its claims carry (the same mapping as an introspection
// answer); a refused one a 401 invalid_token deny named by its check (jwt.ts); no usable key set an auth error.
import { allowTtlMs, authError, deny, finishDeny, identityFromClaims } from "./auth";
import { AuthDecision, Verdict } from "./decision";
import { Header } from "./headers";
import { KeySet } from "./jwks";
import { JwtRules, verifyJwt } from "./jwt";
import { AuthPolicy, JwtSettings } from "./policy";
import { SignatureVerifier } from "./signature";

/** The reason of the auth error a request gets when there is no usable key set (DECISIONS.md §11.5). */
export const JWKS_UNAVAILABLE = "jwks_unavailable";

const NO_HEADERS: Array<Header> = new Array<Header>(0);

export function jwtRulesOf(settings: JwtSettings): JwtRules {
  const rules = new JwtRules();
  rules.algorithms = settings.algorithms;
  rules.issuers = settings.issuers;
  rules.audiences = settings.audiences;
  rules.clockSkewSeconds = settings.clockSkewSeconds;
  return rules;
}

export function jwtDecision(auth: AuthPolicy, rules: JwtRules, token: string, keys: KeySet | null, nowMs: f64, verifier: SignatureVerifier): AuthDecision {
  if (keys == null) return authError(JWKS_UNAVAILABLE);
  const verdict = verifyJwt(token, keys, rules, nowMs / 1000, verifier);
  if (!verdict.ok) return finishDeny(auth, deny(401, "invalid_token", verdict.reason));
  const jwt = auth.jwt;
  const expMs = verdict.exp * 1000;
  const decision = identityFromClaims(auth, verdict.claims!, jwt.subjectClaim, jwt.groupsClaim, "verified", expMs);
  // A signed token whose identity cannot be sent upstream (control characters, lone surrogates) is the token's
  // fault, not an outage: refused, never failed open.
  if (decision.verdict != Verdict.Allow) return finishDeny(auth, deny(401, "invalid_token", "bad_identity"));
  decision.ttlMs = allowTtlMs(auth, expMs, NO_HEADERS, nowMs);
  return decision;
}
