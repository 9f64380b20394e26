import type { AuthStats } from "./types.js";

export type CountedEndpoint = "introspect" | "verify" | "token" | "revoke" | "jwks" | "rotate";

/**
 * Calls per endpoint, counted on arrival (before any fault is applied). `total` sums the token endpoints
 * (introspect, verify, token, revoke) as it always has; JWKS fetches and rotations are counted on their own.
 */
export class CallCounter {
  private counts = CallCounter.zero();

  count(endpoint: CountedEndpoint): void {
    this.counts[endpoint] += 1;
  }

  snapshot(): AuthStats {
    const { introspect, verify, token, revoke, jwks, rotate } = this.counts;
    return { introspect, verify, token, revoke, jwks, rotate, total: introspect + verify + token + revoke };
  }

  reset(): void {
    this.counts = CallCounter.zero();
  }

  private static zero(): Record<CountedEndpoint, number> {
    return { introspect: 0, verify: 0, token: 0, revoke: 0, jwks: 0, rotate: 0 };
  }
}
