// Outgoing HTTP calls. The host binds every call to the root context: the answer arrives as
// proxy_on_http_call_response(rootId, token, …) even when a stream issued it. Use dispatchHttpCall
// (pending-calls.ts) from a stream so the answer is routed back to it; httpCall alone is for root-issued calls.
// Envoy requires `:method`, `:path` and `:authority` in `headers` and a cluster known to this proxy
// (BadArgument otherwise); timeoutMs 0 means no timeout.

import { WasmResult } from "./enums";
import { proxy_get_status, proxy_http_call } from "./imports";
import {
  beginStaging, clearResultSlots, discardResult, lastStagedSize, RESULT_EXTRA, RESULT_PTR, RESULT_SIZE, stageString,
  takeResultString,
} from "./memory";
import { Pair, stagePairs } from "./pairs";

export class HttpCallResult {
  status: WasmResult;
  /** Host token (4, 8, 12, … in Envoy); 0 when the call was refused. */
  token: u32;
  constructor(status: WasmResult, token: u32) {
    this.status = status;
    this.token = token;
  }
  get ok(): bool {
    return this.status == WasmResult.Ok;
  }
}

const NO_TRAILERS: Array<Pair> = [];

/** `byteValues`: header values are byte strings written byte for byte (see writePairs), not text. */
export function httpCall(cluster: string, headers: Array<Pair>, body: ArrayBuffer | null, timeoutMs: u32, byteValues: bool = false): HttpCallResult {
  beginStaging();
  const clusterPtr = stageString(cluster);
  const clusterSize = lastStagedSize();
  const headersPtr = stagePairs(headers, byteValues);
  const headersSize = lastStagedSize();
  const trailersPtr = stagePairs(NO_TRAILERS);
  const trailersSize = lastStagedSize();
  let bodyPtr: usize = 0;
  let bodySize: usize = 0;
  if (body != null) {
    bodyPtr = changetype<usize>(body);
    bodySize = <usize>body.byteLength;
  }
  clearResultSlots();
  const status = proxy_http_call(
    clusterPtr, clusterSize, headersPtr, headersSize, bodyPtr, bodySize, trailersPtr, trailersSize, timeoutMs, RESULT_SIZE,
  );
  return new HttpCallResult(status, status == WasmResult.Ok ? load<u32>(RESULT_SIZE) : 0);
}

export class HostStatus {
  code: u32;
  message: string;
  constructor(code: u32, message: string) {
    this.code = code;
    this.message = message;
  }
}

/** Status of the last call result the host recorded, e.g. code 11 "reset" inside a failed http-call callback. */
export function getStatus(): HostStatus {
  clearResultSlots();
  if (proxy_get_status(RESULT_EXTRA, RESULT_PTR, RESULT_SIZE) != WasmResult.Ok) {
    discardResult();
    return new HostStatus(<u32>WasmResult.InternalFailure, "");
  }
  const code = load<u32>(RESULT_EXTRA);
  return new HostStatus(code, takeResultString());
}
