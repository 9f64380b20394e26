// Calls about the VM and its contexts.

import { WasmResult } from "./enums";
import { proxy_call_foreign_function, proxy_done, proxy_set_effective_context, proxy_set_tick_period_milliseconds } from "./imports";
import {
  beginStaging, clearResultSlots, discardResult, lastStagedSize, RESULT_PTR, RESULT_SIZE, stageString, takeResultBytes,
} from "./memory";

/** proxy_on_tick every `periodMs` on this worker's root context (each worker VM ticks on its own); 0 stops. */
export function setTickPeriod(periodMs: u32): WasmResult {
  return proxy_set_tick_period_milliseconds(periodMs);
}

/** Makes later host calls in this callback act on `contextId` (BadArgument for an unknown id). */
export function setEffectiveContext(contextId: u32): WasmResult {
  return proxy_set_effective_context(contextId);
}

/** Tells the host a root context that answered false from onDone has finished its work. */
export function done(): WasmResult {
  return proxy_done();
}

export class ForeignResult {
  status: WasmResult;
  value: ArrayBuffer | null;
  constructor(status: WasmResult, value: ArrayBuffer | null) {
    this.status = status;
    this.value = value;
  }
}

/** Host extension function by name (Envoy: e.g. "clear_route_cache", "compress"); NotFound when unknown. */
export function callForeignFunction(name: string, args: ArrayBuffer): ForeignResult {
  beginStaging();
  const namePtr = stageString(name);
  clearResultSlots();
  const status = proxy_call_foreign_function(
    namePtr, lastStagedSize(), changetype<usize>(args), <usize>args.byteLength, RESULT_PTR, RESULT_SIZE,
  );
  if (status != WasmResult.Ok) {
    discardResult();
    return new ForeignResult(status, null);
  }
  return new ForeignResult(status, takeResultBytes());
}
