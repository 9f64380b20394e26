import type { AuthStats } from "./types.js";

export type CountedEndpoint = "introspect" | "verify" | "token" | "revoke";

/** Calls per endpoint, counted on arrival (before any fault is applied). */
export class CallCounter {
  private counts: Record<CountedEndpoint, number> = { introspect: 0, verify: 0, token: 0, revoke: 0 };

  count(endpoint: CountedEndpoint): void {
    this.counts[endpoint] += 1;
  }

  snapshot(): AuthStats {
    const { introspect, verify, token, revoke } = this.counts;
    return { introspect, verify, token, revoke, total: introspect + verify + token + revoke };
  }

  reset(): void {
    this.counts = { introspect: 0, verify: 0, token: 0, revoke: 0 };
  }
}
