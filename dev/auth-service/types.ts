import type { RotationResult } from "./key-ring.js";
import type { SigningAlgorithm } from "./signing-keys.js";

// Public shapes of the reference auth service (see README.md for the HTTP contract).

export interface AuthServiceOptions {
  /** `iss` of issued tokens and of introspection answers. Default "meshgate-dev-auth". */
  issuer?: string;
  /** `aud` of issued tokens. Default "meshgate". */
  audience?: string;
  /** Lifetime of tokens whose /token request has no ttlSeconds. Default 300. */
  defaultTtlSeconds?: number;
  /** Clock in epoch milliseconds (like Date.now); tests move it to expire tokens. */
  now?: () => number;
  /** Algorithm of tokens whose request names none. Default "ES256". Keys for every algorithm are always published. */
  algorithm?: SigningAlgorithm;
  /** How long a key retired by a rotation stays in the JWKS (and keeps verifying). Default 600, at most 7 days. */
  keyGraceSeconds?: number;
  /** Receives one line per request when set (main.ts sets it for AUTH_LOG=1). Lines never contain tokens. */
  log?: (line: string) => void;
}

export interface AuthStats {
  introspect: number;
  verify: number;
  token: number;
  revoke: number;
  /** GET /.well-known/jwks.json calls (not part of total). */
  jwks: number;
  /** POST /rotate calls (not part of total). */
  rotate: number;
  /** introspect + verify + token + revoke. */
  total: number;
}

/** The endpoints faults can apply to. */
export type FaultTarget = "introspect" | "verify" | "jwks";

export interface AuthFaults {
  /** Which endpoints the faults apply to; default introspect and verify. */
  targets?: FaultTarget[];
  delayMs?: number;
  status?: number;
  errorRate?: number;
  down?: boolean;
  garbage?: boolean;
  hugeBody?: boolean;
  closeMidBody?: boolean;
  wrongContentType?: boolean;
}

export interface TokenRequest {
  sub: string;
  groups?: string[];
  ttlSeconds?: number;
  scope?: string;
  client_id?: string;
  /** Signing algorithm of this token; default the service's (AUTH_ALG). */
  alg?: SigningAlgorithm;
}

export interface TokenResponse {
  access_token: string;
  token_type: "Bearer";
  expires_in: number;
}

/** Claims of a token that verified, is unexpired and is not revoked. */
export interface ActiveToken {
  sub: string;
  groups: string[];
  scope: string;
  clientId: string | null;
  iat: number;
  exp: number;
  iss: string;
  aud: string;
  jti: string;
}

export interface ListeningServer {
  port: number;
  url: string;
  close(): Promise<void>;
}

export interface AuthService {
  readonly issuer: string;
  readonly audience: string;
  /** The default algorithm's current kid (changes on rotation). */
  readonly kid: string;
  readonly algorithm: SigningAlgorithm;
  /** Binds the HTTP server (port 0 = any free port). Only one listener at a time. */
  listen(port?: number, host?: string): Promise<ListeningServer>;
  /** Closes the listening socket and every open connection: new connections are refused. */
  stopListening(): Promise<void>;
  /** Listens again on the port and host of the last listen(). */
  startListening(): Promise<void>;
  /** Stops listening for good; pending delayed requests are dropped. */
  close(): Promise<void>;
  stats(): AuthStats;
  resetStats(): void;
  /** Replaces the active faults; throws a TypeError naming the field when one is invalid. */
  setFaults(faults: AuthFaults): void;
  getFaults(): AuthFaults;
  clearFaults(): void;
  /** Same as POST /token without HTTP (not counted in stats); throws a TypeError naming a bad field. */
  issueToken(request: TokenRequest): Promise<TokenResponse>;
  /** Same as POST /rotate without HTTP (not counted). */
  rotateKeys(): Promise<RotationResult>;
  /** Same as POST /revoke without HTTP (not counted); false when the token did not verify. */
  revokeToken(token: string): Promise<boolean>;
}
