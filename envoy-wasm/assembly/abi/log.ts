import { LogLevel, WasmResult } from "./enums";
import { proxy_get_log_level, proxy_log } from "./imports";
import { beginStaging, clearResultSlots, lastStagedSize, RESULT_SIZE, stageString } from "./memory";

export function log(level: LogLevel, message: string): WasmResult {
  beginStaging();
  const ptr = stageString(message);
  return proxy_log(<u32>level, ptr, lastStagedSize());
}

/** The host's current log level (it can change at run time); Trace when the host does not answer. */
export function getLogLevel(): LogLevel {
  clearResultSlots();
  if (proxy_get_log_level(RESULT_SIZE) != WasmResult.Ok) return LogLevel.Trace;
  return <LogLevel>load<u32>(RESULT_SIZE);
}

/** True when a message at `level` would be emitted: lets callers skip building strings nobody will see. */
export function isLogEnabled(level: LogLevel): bool {
  return level >= getLogLevel();
}
