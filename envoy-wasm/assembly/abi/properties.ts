// Properties: Envoy resolves plugin_name, plugin_root_id, plugin_vm_id, CEL attributes (request.*, source.*, …)
// and filter state. Values arrive raw: strings as bytes, integers as 8 bytes little-endian.

import { WasmResult } from "./enums";
import { proxy_get_property } from "./imports";
import {
  beginStaging, clearResultSlots, commitStage, discardResult, lastStagedSize, RESULT_PTR, RESULT_SIZE, reserveStage, takeResultBytes,
  takeResultString,
} from "./memory";

/** Path segments joined by NUL with no trailing NUL, e.g. ["request", "path"] → "request\0path". */
function stagePath(path: Array<string>): usize {
  let bound: usize = 0;
  for (let i = 0; i < path.length; i++) bound += <usize>unchecked(path[i]).length * 3 + 1;
  const start = reserveStage(bound);
  let at = start;
  for (let i = 0; i < path.length; i++) {
    if (i > 0) store<u8>(at++, 0);
    const segment = unchecked(path[i]);
    at += String.UTF8.encodeUnsafe(changetype<usize>(segment), segment.length, at, false);
  }
  commitStage(at - start);
  return start;
}

function requestProperty(path: Array<string>): bool {
  beginStaging();
  const pathPtr = stagePath(path);
  clearResultSlots();
  if (proxy_get_property(pathPtr, lastStagedSize(), RESULT_PTR, RESULT_SIZE) != WasmResult.Ok) {
    discardResult();
    return false;
  }
  return true;
}

/** Raw property value, or null when the host does not know it. */
export function getProperty(path: Array<string>): ArrayBuffer | null {
  return requestProperty(path) ? takeResultBytes() : null;
}

/** Property value decoded as UTF-8, or null when the host does not know it. */
export function getPropertyString(path: Array<string>): string | null {
  return requestProperty(path) ? takeResultString() : null;
}
