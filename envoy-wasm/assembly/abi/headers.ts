// Header maps. Envoy lowercases keys, `get` returns the first value only, `replace` sets (or adds) a single
// value, `add` appends a duplicate, `remove` is Ok when absent. Request headers are writable only in
// on_request_headers or while the request is paused from there.

import { MapType, WasmResult } from "./enums";
import {
  proxy_add_header_map_value, proxy_get_header_map_pairs, proxy_get_header_map_size, proxy_get_header_map_value,
  proxy_remove_header_map_value, proxy_replace_header_map_value, proxy_set_header_map_pairs,
} from "./imports";
import {
  beginStaging, clearResultSlots, discardResult, lastStagedSize, RESULT_PTR, RESULT_SIZE, stageString, takeResultString,
} from "./memory";
import { deserializePairs, Pair, stagePairs } from "./pairs";

/** First value of `key`, or null when absent (NotFound) or the map is not available now. */
export function getHeader(map: MapType, key: string): string | null {
  beginStaging();
  const keyPtr = stageString(key);
  const keySize = lastStagedSize();
  clearResultSlots();
  if (proxy_get_header_map_value(<u32>map, keyPtr, keySize, RESULT_PTR, RESULT_SIZE) != WasmResult.Ok) {
    discardResult();
    return null;
  }
  return takeResultString();
}

/** Every entry in order (pseudo-headers included), or null when the map is not available now; with
 *  `byteValues`, values are byte strings (see deserializePairs). */
export function getHeaderPairs(map: MapType, byteValues: bool = false): Array<Pair> | null {
  clearResultSlots();
  if (proxy_get_header_map_pairs(<u32>map, RESULT_PTR, RESULT_SIZE) != WasmResult.Ok) {
    discardResult();
    return null;
  }
  const ptr = <usize>load<u32>(RESULT_PTR);
  const pairs = deserializePairs(ptr, <usize>load<u32>(RESULT_SIZE), byteValues);
  discardResult();
  return pairs;
}

/** Envoy answers with the map's total byte size (not the entry count); -1 when not available. */
export function getHeaderMapByteSize(map: MapType): i64 {
  clearResultSlots();
  if (proxy_get_header_map_size(<u32>map, RESULT_SIZE) != WasmResult.Ok) return -1;
  return <i64>load<u32>(RESULT_SIZE);
}

export function addHeader(map: MapType, key: string, value: string): WasmResult {
  beginStaging();
  const keyPtr = stageString(key);
  const keySize = lastStagedSize();
  const valuePtr = stageString(value);
  return proxy_add_header_map_value(<u32>map, keyPtr, keySize, valuePtr, lastStagedSize());
}

export function replaceHeader(map: MapType, key: string, value: string): WasmResult {
  beginStaging();
  const keyPtr = stageString(key);
  const keySize = lastStagedSize();
  const valuePtr = stageString(value);
  return proxy_replace_header_map_value(<u32>map, keyPtr, keySize, valuePtr, lastStagedSize());
}

export function removeHeader(map: MapType, key: string): WasmResult {
  beginStaging();
  const keyPtr = stageString(key);
  return proxy_remove_header_map_value(<u32>map, keyPtr, lastStagedSize());
}

/** Replaces the whole map. */
export function setHeaderPairs(map: MapType, pairs: Array<Pair>): WasmResult {
  beginStaging();
  const ptr = stagePairs(pairs);
  return proxy_set_header_map_pairs(<u32>map, ptr, lastStagedSize());
}
