// Metrics. Envoy puts them in the `wasmcustom` stat namespace; every worker VM defines its own ids for the
// same stat. A counter rejects a delta <= 0 (BadArgument); record sets a gauge, adds to a counter and
// records a histogram sample.

import { MetricType, WasmResult } from "./enums";
import { proxy_define_metric, proxy_get_metric, proxy_increment_metric, proxy_record_metric } from "./imports";
import { beginStaging, clearResultSlots, lastStagedSize, RESULT_SIZE, stageString } from "./memory";

export class MetricDefinition {
  status: WasmResult;
  /** Host id (never 0 in Envoy); 0 when the definition was refused. */
  id: u32;
  constructor(status: WasmResult, id: u32) {
    this.status = status;
    this.id = id;
  }
}

export function defineMetric(type: MetricType, name: string): MetricDefinition {
  beginStaging();
  const namePtr = stageString(name);
  clearResultSlots();
  const status = proxy_define_metric(<u32>type, namePtr, lastStagedSize(), RESULT_SIZE);
  return new MetricDefinition(status, status == WasmResult.Ok ? load<u32>(RESULT_SIZE) : 0);
}

export function incrementMetric(id: u32, delta: i64): WasmResult {
  return proxy_increment_metric(id, delta);
}

export function recordMetric(id: u32, value: i64): WasmResult {
  return proxy_record_metric(id, value);
}

/** Current value, or -1 when the host refuses (unknown id, histogram). */
export function getMetric(id: u32): i64 {
  clearResultSlots();
  if (proxy_get_metric(id, RESULT_SIZE) != WasmResult.Ok) return -1;
  return load<i64>(RESULT_SIZE);
}
