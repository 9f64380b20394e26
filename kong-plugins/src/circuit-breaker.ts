// A circuit breaker per auth-service origin, shared by every Kong worker (one plugin server serves them all)
// and every policy naming that origin. When the auth service keeps failing, requests stop waiting a full
// timeout each: the breaker answers at once with a failure of kind `breaker_open`, so the policy's failure
// mode applies as for any other auth-service failure (stale allows within their grace, then fail closed or
// open). After a cool-down one real call probes the service: success closes the breaker, failure re-opens it.
//
//   closed ──(N consecutive failures, or a failure ratio over the window)──▶ open
//   open ──(cool-down elapsed; the next call becomes the probe)──▶ half_open
//   half_open ──(probe succeeded)──▶ closed        half_open ──(probe failed)──▶ open

export type BreakerState = "closed" | "open" | "half_open";

export interface BreakerSettings {
  /** Consecutive failures that open the breaker; 0 disables this rule. */
  consecutiveFailures: number;
  /** Failure ratio over the window that opens the breaker (0 < r ≤ 1); 0 disables this rule. */
  failureRatio: number;
  /** Calls the window must hold before the ratio rule applies. */
  minimumCalls: number;
  /** Length of the sliding window for the ratio rule. */
  windowMs: number;
  /** How long the breaker stays open before it lets one probe through. */
  openMs: number;
}

export const DEFAULT_BREAKER_SETTINGS: Readonly<BreakerSettings> = {
  consecutiveFailures: 5,
  failureRatio: 0.5,
  minimumCalls: 20,
  windowMs: 10_000,
  openMs: 5_000,
};

export interface BreakerTransition {
  origin: string;
  from: BreakerState;
  to: BreakerState;
  /** Why, in words for the log line. */
  cause: string;
}

/** What a caller may do now: make an ordinary call, make the half-open probe, or not call at all. */
export type BreakerPermit = "call" | "probe" | "rejected";

/** The sliding window is kept in this many buckets (a window of 10 s moves in steps of 1 s). */
const WINDOW_BUCKETS = 10;

export class CircuitBreaker {
  private current: BreakerState = "closed";
  private consecutive = 0;
  private openedAtMs = 0;
  private probeInFlight = false;
  private readonly bucketStart: number[] = new Array<number>(WINDOW_BUCKETS).fill(Number.NEGATIVE_INFINITY);
  private readonly bucketCalls: number[] = new Array<number>(WINDOW_BUCKETS).fill(0);
  private readonly bucketFailures: number[] = new Array<number>(WINDOW_BUCKETS).fill(0);

  constructor(
    readonly origin: string,
    private readonly settings: BreakerSettings,
    private readonly onTransition: (t: BreakerTransition) => void,
  ) {}

  get state(): BreakerState {
    return this.current;
  }

  /** Asked before starting an auth call (not for requests joining a call already in flight). */
  acquire(nowMs: number): BreakerPermit {
    if (this.current === "closed") return "call";
    if (this.current === "open") {
      if (nowMs - this.openedAtMs < this.settings.openMs) return "rejected";
      this.moveTo("half_open", `cool-down of ${this.settings.openMs} ms over; one probe call`);
    }
    if (this.probeInFlight) return "rejected";
    this.probeInFlight = true;
    return "probe";
  }

  /** The outcome of a call made under `permit`. Late outcomes of calls started before the breaker opened are ignored. */
  record(permit: BreakerPermit, failed: boolean, nowMs: number, what: string): void {
    if (permit === "probe") {
      this.probeInFlight = false;
      if (this.current !== "half_open") return;
      if (failed) this.open(nowMs, `probe failed (${what})`);
      else this.close("probe succeeded");
      return;
    }
    if (permit !== "call" || this.current !== "closed") return;
    this.countInWindow(failed, nowMs);
    if (!failed) {
      this.consecutive = 0;
      return;
    }
    this.consecutive += 1;
    const limit = this.settings.consecutiveFailures;
    if (limit > 0 && this.consecutive >= limit) {
      this.open(nowMs, `${this.consecutive} consecutive failures (last: ${what})`);
      return;
    }
    const { calls, failures } = this.windowTotals(nowMs);
    const ratio = this.settings.failureRatio;
    if (ratio > 0 && calls >= this.settings.minimumCalls && failures / calls >= ratio) {
      this.open(nowMs, `${failures} of ${calls} calls failed within ${this.settings.windowMs} ms (last: ${what})`);
    }
  }

  private open(nowMs: number, cause: string): void {
    this.openedAtMs = nowMs;
    this.moveTo("open", cause);
  }

  private close(cause: string): void {
    this.consecutive = 0;
    this.bucketStart.fill(Number.NEGATIVE_INFINITY);
    this.bucketCalls.fill(0);
    this.bucketFailures.fill(0);
    this.moveTo("closed", cause);
  }

  private moveTo(to: BreakerState, cause: string): void {
    const from = this.current;
    this.current = to;
    this.onTransition({ origin: this.origin, from, to, cause });
  }

  private countInWindow(failed: boolean, nowMs: number): void {
    const width = this.settings.windowMs / WINDOW_BUCKETS;
    const start = Math.floor(nowMs / width) * width;
    const at = Math.floor(nowMs / width) % WINDOW_BUCKETS;
    if (this.bucketStart[at] !== start) {
      this.bucketStart[at] = start;
      this.bucketCalls[at] = 0;
      this.bucketFailures[at] = 0;
    }
    this.bucketCalls[at]! += 1;
    if (failed) this.bucketFailures[at]! += 1;
  }

  private windowTotals(nowMs: number): { calls: number; failures: number } {
    let calls = 0;
    let failures = 0;
    for (let i = 0; i < WINDOW_BUCKETS; i++) {
      if (nowMs - this.bucketStart[i]! >= this.settings.windowMs) continue;
      calls += this.bucketCalls[i]!;
      failures += this.bucketFailures[i]!;
    }
    return { calls, failures };
  }
}

/** One breaker per auth-service origin (scheme, host, port: never credentials or the path). */
export class AuthServiceBreakers {
  private readonly breakers = new Map<string, CircuitBreaker>();

  constructor(private readonly settings: BreakerSettings, private readonly onTransition: (t: BreakerTransition) => void) {}

  /** The breaker for the service at `url`; an unparsable URL gets none (the call fails as bad_url anyway). */
  forUrl(url: string): CircuitBreaker | null {
    let origin: string;
    try {
      origin = new URL(url).origin;
    } catch {
      return null;
    }
    let breaker = this.breakers.get(origin);
    if (!breaker) {
      breaker = new CircuitBreaker(origin, this.settings, this.onTransition);
      this.breakers.set(origin, breaker);
    }
    return breaker;
  }

  /** Breakers not closed (open or half-open), for the gauge. */
  notClosed(): number {
    let n = 0;
    for (const breaker of this.breakers.values()) if (breaker.state !== "closed") n += 1;
    return n;
  }
}

/** The variables, their defaults and what each value must be (kong-plugins/README.md documents them). */
const VARIABLES: Array<{ name: string; field: keyof BreakerSettings; valid: (n: number) => boolean; rule: string }> = [
  { name: "MESHGATE_BREAKER_FAILURES", field: "consecutiveFailures", valid: (n) => Number.isInteger(n) && n >= 0 && n <= 1_000_000, rule: "an integer 0..1000000 (0 = off)" },
  { name: "MESHGATE_BREAKER_FAILURE_RATIO", field: "failureRatio", valid: (n) => n >= 0 && n <= 1, rule: "a number 0..1 (0 = off)" },
  { name: "MESHGATE_BREAKER_MIN_CALLS", field: "minimumCalls", valid: (n) => Number.isInteger(n) && n >= 1 && n <= 1_000_000, rule: "an integer 1..1000000" },
  { name: "MESHGATE_BREAKER_WINDOW_MS", field: "windowMs", valid: (n) => Number.isInteger(n) && n >= 100 && n <= 3_600_000, rule: "an integer 100..3600000" },
  { name: "MESHGATE_BREAKER_OPEN_MS", field: "openMs", valid: (n) => Number.isInteger(n) && n >= 1 && n <= 3_600_000, rule: "an integer 1..3600000" },
];

/**
 * Settings from the plugin server's environment. A bad value is logged and replaced by its default: refusing to
 * start would make Kong proxy every request without meshgate.
 */
export function breakerSettingsFromEnv(env: NodeJS.ProcessEnv, log: (line: string) => void): BreakerSettings {
  const settings: BreakerSettings = { ...DEFAULT_BREAKER_SETTINGS };
  for (const variable of VARIABLES) {
    const raw = env[variable.name];
    if (raw === undefined || raw.trim() === "") continue;
    const value = Number(raw);
    if (Number.isFinite(value) && variable.valid(value)) settings[variable.field] = value;
    else log(`meshgate: ${variable.name} must be ${variable.rule}, got "${raw}"; using ${settings[variable.field]}`);
  }
  return settings;
}

/** Failures that say nothing about the service: no call was made (see auth-client.ts). */
const NOT_THE_SERVICE = new Set(["bad_url", "invalid_header", "breaker_open"]);

/** What counts against the auth service: no usable HTTP answer (transport failure, timeout, body too large), 5xx or 429. */
export function isAuthServiceFailure(answer: { kind: "response"; status: number } | { kind: "failure"; failure: string }): boolean {
  if (answer.kind === "failure") return !NOT_THE_SERVICE.has(answer.failure);
  return answer.status >= 500 || answer.status === 429;
}
