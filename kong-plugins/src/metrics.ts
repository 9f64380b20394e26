// Prometheus metrics of the plugin-server process, in the core's vocabulary (shared/src/metrics.ts) so a
// decision counts the same on Kong and on Envoy. Recorded in-process (no PDK round trip) and served on a
// loopback port of the plugin server (metrics-endpoint.ts). Labels carry only the policy's route names and the
// core's fixed vocabulary of sections, outcomes and reasons: never a subject, token, IP or path.
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { Flow } from "../../shared/src/engine";
import {
  AUTH_CALL_DURATION_MS, CACHE_ENTRIES, DECISION_LABELS, DECISIONS_TOTAL, SHADOW_DECISIONS_TOTAL, authCallCounter, counterNames, decisionCounters,
  labeledCounts,
} from "../../shared/src/metrics";
import type { AuthAnswer } from "./auth-client";
import type { BreakerState } from "./circuit-breaker";

/** Kong plane only: requests refused because the handler itself failed (a bug; alert on any increase). */
export const INTERNAL_ERRORS_TOTAL = "meshgate_kong_internal_errors_total";

/** Kong plane only: circuit-breaker transitions toward the auth service, one counter per state entered. */
export const BREAKER_TRANSITION_COUNTERS: Readonly<Record<BreakerState, string>> = {
  open: "meshgate_kong_breaker_transitions_open_total",
  half_open: "meshgate_kong_breaker_transitions_half_open_total",
  closed: "meshgate_kong_breaker_transitions_closed_total",
};
/** Kong plane only: auth calls not made because the breaker was open (each answered as `auth_breaker_open`). */
export const BREAKER_REJECTED_TOTAL = "meshgate_kong_breaker_rejected_total";
/** Kong plane only: auth-service breakers currently open or half-open. */
export const BREAKERS_OPEN = "meshgate_kong_breakers_open";

/** Kong plane only: JWKS fetches (jwt mode) by result: ok, refused (not a usable key set), failed. */
export const JWKS_FETCHES_TOTAL = "meshgate_kong_jwks_fetches_total";

/** Envoy's default histogram buckets up to 60 s, so both planes' latency panels line up. */
const AUTH_DURATION_BUCKETS_MS = [0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000];

export class PluginMetrics {
  readonly registry = new Registry();
  private readonly counters = new Map<string, Counter>();
  private readonly labeled = new Map<string, Counter<string>>();
  private readonly authDuration: Histogram;
  private readonly jwksFetches: Counter<string>;

  constructor(cacheEntries: () => number, breakersOpen: () => number = () => 0) {
    const kongCounters = [INTERNAL_ERRORS_TOTAL, ...Object.values(BREAKER_TRANSITION_COUNTERS), BREAKER_REJECTED_TOTAL];
    for (const name of [...counterNames(), ...kongCounters]) {
      this.counters.set(name, new Counter({ name, help: helpFor(name), registers: [this.registry] }));
    }
    const labeledHelp: Record<string, string> = {
      [DECISIONS_TOTAL]: "Decisions by the policy route, section and reason that made them.",
      [SHADOW_DECISIONS_TOTAL]: "Decisions of shadowed sections (recorded, not enforced) by route, section, outcome and reason.",
    };
    for (const [name, help] of Object.entries(labeledHelp)) {
      this.labeled.set(name, new Counter({ name, help, labelNames: DECISION_LABELS, registers: [this.registry] }));
    }
    this.jwksFetches = new Counter({
      name: JWKS_FETCHES_TOTAL,
      help: "JWKS fetches of jwt mode by result: ok, refused (the body was no usable key set) or failed.",
      labelNames: ["result"],
      registers: [this.registry],
    });
    this.authDuration = new Histogram({
      name: AUTH_CALL_DURATION_MS,
      help: "Duration of auth-service calls in milliseconds, answered or failed.",
      buckets: AUTH_DURATION_BUCKETS_MS,
      registers: [this.registry],
    });
    new Gauge({
      name: CACHE_ENTRIES,
      help: "Entries in the decision caches of this plugin server (all policies).",
      registers: [this.registry],
      collect() {
        this.set(cacheEntries());
      },
    });
    new Gauge({
      name: BREAKERS_OPEN,
      help: "Auth-service circuit breakers of this plugin server that are open or half-open.",
      registers: [this.registry],
      collect() {
        this.set(breakersOpen());
      },
    });
  }

  recordBreakerTransition(to: BreakerState): void {
    this.increment(BREAKER_TRANSITION_COUNTERS[to]);
  }

  /** One count per applicable counter of a finished decision (forwarded or rejected). */
  recordDecision(flow: Flow): void {
    for (const name of decisionCounters(flow)) this.increment(name);
    for (const count of labeledCounts(flow)) this.labeled.get(count.name)?.labels(...count.values).inc();
  }

  /** One completed auth-service call (not one per request waiting on it). */
  recordAuthCall(answer: AuthAnswer): void {
    this.increment(answer.kind === "response" ? authCallCounter(answer.status, "") : authCallCounter(0, answer.failure));
    this.authDuration.observe(answer.latencyMs);
  }

  recordJwksFetch(result: string): void {
    this.jwksFetches.labels(result).inc();
  }

  increment(name: string): void {
    this.counters.get(name)?.inc();
  }
}

function helpFor(name: string): string {
  if (name === INTERNAL_ERRORS_TOTAL) return "Requests refused because the meshgate handler failed unexpectedly.";
  if (name === BREAKER_REJECTED_TOTAL) return "Auth calls not made because the auth-service circuit breaker was open.";
  for (const [state, counter] of Object.entries(BREAKER_TRANSITION_COUNTERS)) {
    if (name === counter) return `Auth-service circuit breakers that entered the ${state.replace("_", "-")} state.`;
  }
  return `meshgate ${name.replace(/^meshgate_/, "").replace(/_total$/, "").replaceAll("_", " ")}.`;
}
