// The core's counters as proxy-wasm metrics, defined once per VM; Envoy aggregates each name across
// workers and exports it to Prometheus under its own name (the wasmcustom namespace is stripped).
import { Flow } from "../../../shared/src/engine";
import { counterNames, decisionCounters } from "../../../shared/src/metrics";
import { defineMetric, incrementMetric, MetricType } from "../abi";

export class FilterMetrics {
  private readonly ids: Map<string, u32> = new Map<string, u32>();

  static defineAll(): FilterMetrics {
    const metrics = new FilterMetrics();
    const names = counterNames();
    for (let i = 0; i < names.length; i++) metrics.ids.set(names[i], defineMetric(MetricType.Counter, names[i]).id);
    return metrics;
  }

  increment(name: string): void {
    if (this.ids.has(name)) incrementMetric(this.ids.get(name), 1);
  }

  /** One count per finished decision (called from on_log, off the request's critical path). */
  record(flow: Flow): void {
    const names = decisionCounters(flow);
    for (let i = 0; i < names.length; i++) this.increment(names[i]);
  }
}
