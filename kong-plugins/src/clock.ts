// The plugin's one reading of wall-clock time (epoch ms): the core's flow, the decision cache's lifetimes, the
// limiter and the circuit breaker all ask here. It is the system clock, unless a clock was installed under
// CLOCK_KEY before the plugin loaded — Kong's dev host does that in the plugin server it starts for tests that
// let cache lifetimes and breaker cool-downs pass without waiting. Read once at load: no cost per call.
import type { Perf } from "lru-cache";

export const CLOCK_KEY = Symbol.for("meshgate.plugin-clock");

const installed = (globalThis as { [CLOCK_KEY]?: { now(): number } })[CLOCK_KEY];

export const nowMs: () => number = installed ? () => installed.now() : Date.now;

/** Options for LRU caches whose entries live as long as a decision or a limiter slot, so their TTLs follow an
 *  installed clock (read on every check, not cached for a millisecond); nothing changes on the system clock. */
export const lruClock: { perf?: Perf; ttlResolution?: number } = installed ? { perf: { now: nowMs }, ttlResolution: 0 } : {};
