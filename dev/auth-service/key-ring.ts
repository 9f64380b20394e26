import type { JWK } from "jose";
import { SIGNING_ALGORITHMS, type SigningAlgorithm, type SigningKey, generateSigningKey } from "./signing-keys.js";

// Longer than the default token lifetime (300 s) plus a relying party's periodic JWKS refresh, so that tokens
// signed just before a rotation keep verifying everywhere until they expire.
export const DEFAULT_KEY_GRACE_SECONDS = 600;
export const MAX_KEY_GRACE_SECONDS = 7 * 86400;
/** Retired keys kept at most (the oldest leave early beyond that): the JWKS stays far below the 32 keys meshgate
 *  accepts in one set however often /rotate is called. */
export const MAX_RETIRED_KEYS = 16;

interface RetiredKey {
  key: SigningKey;
  /** Epoch ms after which the key leaves the JWKS and no longer verifies. */
  leavesAtMs: number;
}

export interface RotationResult {
  /** The new current kid per algorithm. */
  current: Record<SigningAlgorithm, string>;
  /** The keys that stopped signing, with the epoch second they leave the JWKS. */
  retired: { kid: string; alg: SigningAlgorithm; leavesAt: number }[];
}

/**
 * One current signing key per algorithm plus the keys retired by rotations. A retired key stays published
 * (and keeps verifying) for the grace period, then leaves. Expiry is judged on every read against the
 * injected clock, so moving the clock is enough to make a key leave.
 */
export class KeyRing {
  private retired: RetiredKey[] = [];

  private constructor(
    private current: Map<SigningAlgorithm, SigningKey>,
    private readonly graceMs: number,
    private readonly nowMs: () => number,
  ) {}

  static async create(graceSeconds: number, nowMs: () => number): Promise<KeyRing> {
    return new KeyRing(await generateCurrentKeys(), graceSeconds * 1000, nowMs);
  }

  signingKey(alg: SigningAlgorithm): SigningKey {
    return this.current.get(alg)!;
  }

  /** A current or still-published key with this kid, or null. */
  verificationKey(kid: string): SigningKey | null {
    for (const key of this.current.values()) if (key.kid === kid) return key;
    return this.liveRetired().find((retired) => retired.key.kid === kid)?.key ?? null;
  }

  jwks(): { keys: JWK[] } {
    const published = [...this.current.values(), ...this.liveRetired().map((retired) => retired.key)];
    return { keys: published.map((key) => key.publicJwk) };
  }

  /** New keys for every algorithm become current; the previous ones start their grace period. */
  async rotate(): Promise<RotationResult> {
    const fresh = await generateCurrentKeys();
    const leavesAtMs = this.nowMs() + this.graceMs;
    const retiredNow = [...this.current.values()].map((key) => ({ key, leavesAtMs }));
    this.retired = [...this.liveRetired(), ...retiredNow].slice(-MAX_RETIRED_KEYS);
    this.current = fresh;
    return {
      current: Object.fromEntries([...fresh].map(([alg, key]) => [alg, key.kid])) as Record<SigningAlgorithm, string>,
      retired: retiredNow.map(({ key }) => ({ kid: key.kid, alg: key.alg, leavesAt: Math.floor(leavesAtMs / 1000) })),
    };
  }

  private liveRetired(): RetiredKey[] {
    const now = this.nowMs();
    return this.retired.filter((retired) => now < retired.leavesAtMs);
  }
}

async function generateCurrentKeys(): Promise<Map<SigningAlgorithm, SigningKey>> {
  const keys = await Promise.all(SIGNING_ALGORITHMS.map((alg) => generateSigningKey(alg)));
  return new Map(keys.map((key) => [key.alg, key]));
}
