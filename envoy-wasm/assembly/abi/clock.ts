import { WasmResult } from "./enums";
import { proxy_get_current_time_nanoseconds } from "./imports";
import { clearResultSlots, RESULT_SIZE } from "./memory";

/** Wall-clock milliseconds since the Unix epoch from the host; NaN when the host refuses. */
export function nowMs(): f64 {
  clearResultSlots();
  if (proxy_get_current_time_nanoseconds(RESULT_SIZE) != WasmResult.Ok) return NaN;
  const nanos = load<u64>(RESULT_SIZE);
  // Whole microseconds first: ns since 1970 exceed 2^53, µs do not, so the result keeps µs precision.
  return <f64>(nanos / 1000) / 1000.0;
}
