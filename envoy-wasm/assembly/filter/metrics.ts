// Decision counters, defined once per VM; Envoy aggregates the same name across workers and exports
// it as `wasmcustom_<name>`.
import { Flow } from "../../../shared/src/engine";
import { defineMetric, incrementMetric, MetricType } from "../abi";

export class FilterMetrics {
  private readonly names: Array<string> = new Array<string>();
  private readonly ids: Array<u32> = new Array<u32>();

  define(name: string): void {
    const metric = defineMetric(MetricType.Counter, name);
    this.names.push(name);
    this.ids.push(metric.id);
  }

  increment(name: string): void {
    for (let i = 0; i < this.names.length; i++) {
      if (this.names[i] == name) {
        incrementMetric(this.ids[i], 1);
        return;
      }
    }
  }

  static defineAll(): FilterMetrics {
    const m = new FilterMetrics();
    const names = [
      "meshgate_decisions_allow", "meshgate_decisions_deny", "meshgate_decisions_error", "meshgate_decisions_anonymous",
      "meshgate_cache_hit", "meshgate_cache_miss", "meshgate_cache_stale",
      "meshgate_ratelimit_rejected", "meshgate_limiter_fallback", "meshgate_fail_open",
      "meshgate_canary_routed_canary", "meshgate_canary_routed_stable",
    ];
    for (let i = 0; i < names.length; i++) m.define(names[i]);
    return m;
  }

  /** One count per finished decision (called from on_log, off the request's critical path). */
  record(flow: Flow): void {
    if (flow.outcome.length > 0) this.increment("meshgate_decisions_" + flow.outcome);
    if (flow.cacheState != "none") this.increment("meshgate_cache_" + flow.cacheState);
    if (flow.reason == "rate_limited") this.increment("meshgate_ratelimit_rejected");
    if (flow.limiterDegraded) this.increment("meshgate_limiter_fallback");
    if (flow.degraded) this.increment("meshgate_fail_open");
    const canary = flow.canary;
    if (canary != null) this.increment(canary.canary ? "meshgate_canary_routed_canary" : "meshgate_canary_routed_stable");
  }
}
