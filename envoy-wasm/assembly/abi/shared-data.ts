// Shared data: one store per vm_id, shared by every worker VM of the proxy, with a global CAS counter.
// ABI 0.2.1 has no delete and no TTL. set with cas 0 overwrites unconditionally; set with a stale non-zero
// cas on an existing key gives CasMismatch; set on an absent key always succeeds (no atomic create).

import { WasmResult } from "./enums";
import { proxy_get_shared_data, proxy_set_shared_data } from "./imports";
import {
  beginStaging, clearResultSlots, discardResult, lastStagedSize, RESULT_EXTRA, RESULT_PTR, RESULT_SIZE, stageString,
  takeResultBytes,
} from "./memory";

export class SharedDataResult {
  /** Ok, or NotFound when the key was never set. */
  status: WasmResult;
  value: ArrayBuffer | null;
  cas: u32;
  constructor(status: WasmResult, value: ArrayBuffer | null, cas: u32) {
    this.status = status;
    this.value = value;
    this.cas = cas;
  }
}

export function getSharedData(key: string): SharedDataResult {
  beginStaging();
  const keyPtr = stageString(key);
  const keySize = lastStagedSize();
  clearResultSlots();
  const status = proxy_get_shared_data(keyPtr, keySize, RESULT_PTR, RESULT_SIZE, RESULT_EXTRA);
  if (status != WasmResult.Ok) {
    discardResult();
    return new SharedDataResult(status, null, 0);
  }
  const cas = load<u32>(RESULT_EXTRA);
  return new SharedDataResult(status, takeResultBytes(), cas);
}

export function setSharedData(key: string, value: ArrayBuffer, cas: u32 = 0): WasmResult {
  beginStaging();
  const keyPtr = stageString(key);
  return proxy_set_shared_data(keyPtr, lastStagedSize(), changetype<usize>(value), <usize>value.byteLength, cas);
}
