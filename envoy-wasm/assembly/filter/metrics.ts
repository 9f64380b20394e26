// The core's counters (shared/src/metrics.ts) as proxy-wasm metrics, plus the auth-call duration histogram
// and the cache-entries gauge. Every worker VM defines the same names; Envoy aggregates them into one
// stat each and exports it to Prometheus under its own name (the wasmcustom namespace is stripped).
//
// Counts are added up in the VM and written to the host in one batch: at the end of any request that
// called the auth service (it already paid a network round trip), after FLUSH_EVERY_REQUESTS requests,
// and on every tick (FLUSH_PERIOD_MS). A cache hit therefore costs no metric host call (a flush writes one
// increment per counter that changed, so flushing every few hundred requests would add host calls per
// request), and a count is at most one tick late.
//
// The labeled counters (meshgate_decisions_total, meshgate_shadow_decisions_total) are defined on first use, one
// stat per label combination, named in Istio's tag encoding (shared/src/metrics.ts envoyStatName); Envoy's
// stats_tags turn the name back into labels. Their number is bounded by the policy's routes and the core's reasons.
import { Flow } from "../../../shared/src/engine";
import {
  AUTH_CALL_DURATION_MS, CACHE_ENTRIES, authCallCounter, counterNames, decisionCounters, envoyStatName, labeledCounts,
} from "../../../shared/src/metrics";
import { defineMetric, incrementMetric, MetricType, recordMetric } from "../abi";

export const FLUSH_PERIOD_MS: u32 = 1000;
/** Requests counted since the last flush before one is due without a tick (counts are i64: no overflow). */
const FLUSH_EVERY_REQUESTS: i32 = 4096;

export class FilterMetrics {
  private readonly index: Map<string, i32> = new Map<string, i32>();
  private readonly counterIds: Array<u32> = new Array<u32>();
  private readonly pending: Array<i64> = new Array<i64>();
  private readonly countersByShape: Map<i32, Array<i32>> = new Map<i32, Array<i32>>();
  private requestsSinceFlush: i32 = 0;
  private durationId: u32 = 0;
  private entriesId: u32 = 0;
  private entriesDelta: i64 = 0;
  /** Envoy stat name of a labeled count → its index in counterIds/pending (defined on first use). */
  private readonly labeledIndex: Map<string, i32> = new Map<string, i32>();
  private lastDecisionIndex: i32 = -1;
  private lastRoute: string = "";
  private lastSection: string = "";
  private lastOutcome: string = "";
  private lastReason: string = "";

  static defineAll(): FilterMetrics {
    const metrics = new FilterMetrics();
    const names = counterNames();
    for (let i = 0; i < names.length; i++) {
      metrics.index.set(names[i], i);
      metrics.counterIds.push(defineMetric(MetricType.Counter, names[i]).id);
      metrics.pending.push(0);
    }
    metrics.durationId = defineMetric(MetricType.Histogram, AUTH_CALL_DURATION_MS).id;
    metrics.entriesId = defineMetric(MetricType.Gauge, CACHE_ENTRIES).id;
    return metrics;
  }

  /** One count per applicable counter of a finished decision (the core's decisionCounters, memoized). */
  record(flow: Flow): void {
    this.requestsSinceFlush++;
    const shape = flowShape(flow);
    if (shape < 0) {
      const names = decisionCounters(flow);
      for (let i = 0; i < names.length; i++) this.count(names[i]);
      this.recordLabeled(flow);
      return;
    }
    if (!this.countersByShape.has(shape)) this.countersByShape.set(shape, this.indicesOf(decisionCounters(flow)));
    const indices = this.countersByShape.get(shape);
    for (let i = 0; i < indices.length; i++) this.countIndex(unchecked(indices[i]));
    this.recordLabeled(flow);
  }

  private recordLabeled(flow: Flow): void {
    // labeledCounts' first count depends on these four fields only: a flow like the previous one, without shadow
    // decisions, replays its index and builds no stat name (the usual cache-hit request).
    if (flow.shadows.length == 0 && this.lastDecisionIndex >= 0 && flow.reason == this.lastReason && flow.outcome == this.lastOutcome
      && flow.section == this.lastSection && flow.route.name == this.lastRoute) {
      this.countIndex(this.lastDecisionIndex);
      return;
    }
    const counts = labeledCounts(flow);
    for (let i = 0; i < counts.length; i++) {
      const index = this.labeledCounterIndex(envoyStatName(counts[i]));
      this.countIndex(index);
      if (i == 0) {
        this.lastDecisionIndex = index;
        this.lastRoute = flow.route.name;
        this.lastSection = flow.section;
        this.lastOutcome = flow.outcome;
        this.lastReason = flow.reason;
      }
    }
  }

  private labeledCounterIndex(name: string): i32 {
    if (this.labeledIndex.has(name)) return this.labeledIndex.get(name);
    const index = this.counterIds.length;
    this.counterIds.push(defineMetric(MetricType.Counter, name).id);
    this.pending.push(0);
    this.labeledIndex.set(name, index);
    return index;
  }

  /** One completed auth call: its counter and its duration (the histogram is written at once). */
  authCall(status: i32, failure: string, durationMs: f64): void {
    this.count(authCallCounter(status, failure));
    if (this.durationId != 0) recordMetric(this.durationId, i64(max(durationMs, 0)));
  }

  /** The proxy refused to dispatch an auth call (unknown cluster): counted as a connect error, no duration. */
  authCallRefused(): void {
    this.count(authCallCounter(0, "dispatch"));
  }

  /** Entries added (+) to or dropped (−) from this VM's decision cache; the gauge sums the workers. */
  cacheEntriesChanged(delta: i32): void {
    this.entriesDelta += i64(delta);
  }

  flushIfDue(): void {
    if (this.requestsSinceFlush >= FLUSH_EVERY_REQUESTS) this.flush();
  }

  flush(): void {
    for (let i = 0; i < this.pending.length; i++) {
      const delta = unchecked(this.pending[i]);
      if (delta == 0) continue;
      unchecked(this.pending[i] = 0);
      incrementMetric(unchecked(this.counterIds[i]), delta);
    }
    this.requestsSinceFlush = 0;
    if (this.entriesDelta != 0 && this.entriesId != 0) {
      incrementMetric(this.entriesId, this.entriesDelta);
      this.entriesDelta = 0;
    }
  }

  private count(name: string): void {
    if (this.index.has(name)) this.countIndex(this.index.get(name));
  }

  private countIndex(i: i32): void {
    unchecked(this.pending[i] = unchecked(this.pending[i]) + 1);
  }

  private indicesOf(names: Array<string>): Array<i32> {
    const indices = new Array<i32>();
    for (let i = 0; i < names.length; i++) if (this.index.has(names[i])) indices.push(this.index.get(names[i]));
    return indices;
  }
}

// decisionCounters builds its names from these fields of a flow; flows that agree on all of them count the
// same, so the counter indices are computed once per shape. A value outside the known vocabulary gives -1
// (no memo: the core's function runs for that flow).
const OUTCOMES: Array<string> = ["", "allow", "deny", "error", "anonymous"];
const CACHE_STATES: Array<string> = ["none", "hit", "miss", "stale"];
const CANARY_REASONS: Array<string> = ["override", "percentage", "default"];

function flowShape(flow: Flow): i32 {
  const outcome = OUTCOMES.indexOf(flow.outcome);
  const cacheState = CACHE_STATES.indexOf(flow.cacheState);
  if (outcome < 0 || cacheState < 0) return -1;
  let canary = 0;
  const decision = flow.canary;
  if (decision != null) {
    const reason = CANARY_REASONS.indexOf(decision.reason);
    if (reason < 0) return -1;
    canary = 1 + reason * 2 + (decision.canary ? 1 : 0);
  }
  let shape = outcome;
  shape = shape * 4 + cacheState;
  shape = shape * 2 + (flow.reason == "rate_limited" ? 1 : 0);
  shape = shape * 2 + (flow.limiterDegraded ? 1 : 0);
  shape = shape * 2 + (flow.degraded ? 1 : 0);
  return shape * 7 + canary;
}
