import { randomUUID } from "node:crypto";
import { type JWTHeaderParameters, SignJWT, jwtVerify } from "jose";
import type { NormalizedTokenRequest } from "./token-request.js";
import type { ActiveToken, TokenResponse } from "./types.js";
import { RevocationList } from "./revocations.js";
import type { KeyRing } from "./key-ring.js";
import { SIGNING_ALGORITHMS, type SigningAlgorithm } from "./signing-keys.js";

// Real bearer tokens are far smaller; anything longer is not one of ours and is not worth verifying.
const MAX_TOKEN_LENGTH = 8192;

export interface TokenAuthoritySettings {
  keys: KeyRing;
  /** Used when a token request names no algorithm. */
  defaultAlgorithm: SigningAlgorithm;
  issuer: string;
  audience: string;
  nowMs: () => number;
}

/** Issues, verifies and revokes the service's JWTs. */
export class TokenAuthority {
  private readonly revocations = new RevocationList();

  constructor(private readonly settings: TokenAuthoritySettings) {}

  nowSeconds(): number {
    return Math.floor(this.settings.nowMs() / 1000);
  }

  async issue(request: NormalizedTokenRequest): Promise<TokenResponse> {
    const { keys, issuer, audience, defaultAlgorithm } = this.settings;
    const key = keys.signingKey(request.alg ?? defaultAlgorithm);
    const iat = this.nowSeconds();
    const claims: Record<string, unknown> = { groups: request.groups };
    if (request.scope !== null) claims.scope = request.scope;
    if (request.clientId !== null) claims.client_id = request.clientId;
    const token = await new SignJWT(claims)
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: "JWT" })
      .setSubject(request.sub)
      .setIssuer(issuer)
      .setAudience(audience)
      .setIssuedAt(iat)
      .setExpirationTime(iat + request.ttlSeconds)
      .setJti(randomUUID())
      .sign(key.privateKey);
    return { access_token: token, token_type: "Bearer", expires_in: request.ttlSeconds };
  }

  /** The token's claims when its signature, issuer, audience and expiry check out and it is not revoked. */
  async verify(token: string): Promise<ActiveToken | null> {
    const claims = await this.verifySignedClaims(token);
    if (claims === null || this.revocations.isRevoked(claims.jti)) return null;
    return claims;
  }

  /** RFC 7009: revoking a token that does not verify is not an error, it just changes nothing. */
  async revoke(token: string): Promise<boolean> {
    const claims = await this.verifySignedClaims(token);
    if (claims === null) return false;
    this.revocations.revoke(claims.jti, claims.exp, this.nowSeconds());
    return true;
  }

  private async verifySignedClaims(token: string): Promise<ActiveToken | null> {
    if (token.length === 0 || token.length > MAX_TOKEN_LENGTH) return null;
    const { keys, issuer, audience, nowMs } = this.settings;
    try {
      // The key is chosen by kid among the published ones, and only for the algorithm it was made for.
      const keyFor = (header: JWTHeaderParameters) => {
        const key = header.kid === undefined ? null : keys.verificationKey(header.kid);
        if (key === null || key.alg !== header.alg) throw new Error("no published key for this kid and alg");
        return key.publicKey;
      };
      const { payload } = await jwtVerify(token, keyFor, {
        algorithms: [...SIGNING_ALGORITHMS],
        issuer,
        audience,
        currentDate: new Date(nowMs()),
        requiredClaims: ["sub", "exp", "iat", "jti"],
      });
      const groups = payload.groups;
      return {
        sub: String(payload.sub),
        groups: Array.isArray(groups) ? groups.filter((g): g is string => typeof g === "string") : [],
        scope: typeof payload.scope === "string" ? payload.scope : "",
        clientId: typeof payload.client_id === "string" ? payload.client_id : null,
        iat: Number(payload.iat),
        exp: Number(payload.exp),
        iss: issuer,
        aud: audience,
        jti: String(payload.jti),
      };
    } catch {
      return null;
    }
  }
}
