// Where the host reads wall-clock time and schedules plugin ticks and proxy_http_call timeouts — Envoy's
// TimeSource and dispatcher timers. The system clock by default; tests pass a ManualClock so cache lifetimes,
// tick periods and call timeouts pass without waiting for them. Stream timeouts stay on real time: they bound
// the real I/O of a test's own requests.

export interface HostClock {
  /** Epoch milliseconds: proxy_get_current_time_nanoseconds, WASI's realtime clock, a stream's start time. */
  nowMs(): number;
  /** Calls `fire` once after `ms` of this clock's time, without keeping the process alive; returns a cancel. */
  schedule(ms: number, fire: () => void): () => void;
}

export const SYSTEM_CLOCK: HostClock = {
  nowMs: () => Date.now(),
  schedule(ms, fire) {
    const timer = setTimeout(fire, ms);
    timer.unref();
    return () => clearTimeout(timer);
  },
};

/** A clock that moves only when told: `advance` fires every timer falling due, in order, at its own time. */
export class ManualClock implements HostClock {
  private now: number;
  private readonly timers = new Set<{ at: number; fire: () => void }>();

  /** Starts at the system time, so expiry times other services hand out (token `exp`) still make sense. */
  constructor(startMs = Date.now()) {
    this.now = startMs;
  }

  nowMs(): number {
    return this.now;
  }

  schedule(ms: number, fire: () => void): () => void {
    const timer = { at: this.now + Math.max(0, ms), fire };
    this.timers.add(timer);
    return () => this.timers.delete(timer);
  }

  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`a clock only moves forward, got ${ms} ms`);
    const target = this.now + ms;
    for (;;) {
      let next: { at: number; fire: () => void } | null = null;
      for (const t of this.timers) if (t.at <= target && (next === null || t.at < next.at)) next = t;
      if (next === null) break;
      this.timers.delete(next);
      this.now = next.at;
      next.fire();
    }
    this.now = target;
  }
}
