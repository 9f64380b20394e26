// Stream control. Envoy defers all three until the current callback returns. continueStream from an
// http-call response needs the stream as effective context first (pending-calls.ts does that); after it,
// the request header map is gone, so write headers before continuing. sendLocalResponse forces the current
// callback's result to Stop.

import { NO_GRPC_STATUS, StreamType, WasmResult } from "./enums";
import { proxy_close_stream, proxy_continue_stream, proxy_send_local_response } from "./imports";
import { beginStaging, lastStagedSize, stageString } from "./memory";
import { Pair, stagePairs } from "./pairs";

export function continueStream(type: StreamType): WasmResult {
  return proxy_continue_stream(<u32>type);
}

export function closeStream(type: StreamType): WasmResult {
  return proxy_close_stream(<u32>type);
}

/** `details` becomes Envoy's response code details (%RESPONSE_CODE_DETAILS%); grpcStatus -1 means plain HTTP. */
export function sendLocalResponse(
  status: u32, details: string, body: ArrayBuffer, headers: Array<Pair>, grpcStatus: i32 = NO_GRPC_STATUS,
): WasmResult {
  beginStaging();
  const detailsPtr = stageString(details);
  const detailsSize = lastStagedSize();
  const headersPtr = stagePairs(headers);
  return proxy_send_local_response(
    status, detailsPtr, detailsSize, changetype<usize>(body), <usize>body.byteLength,
    headersPtr, lastStagedSize(), grpcStatus,
  );
}
