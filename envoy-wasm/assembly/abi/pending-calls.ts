// Routes http-call answers back to the stream that asked. The host delivers every answer on the root
// context, so the token → stream id map is the only link; the stream becomes the effective context before
// its callback runs, so its header writes and continueStream act on the right request.

import { LogLevel, WasmResult } from "./enums";
import { getHttpContext, getRootContext, HttpContext } from "./context";
import { httpCall, HttpCallResult } from "./http-call";
import { log } from "./log";
import { Pair } from "./pairs";
import { setEffectiveContext } from "./vm";

const streamByToken = new Map<u32, u32>();

/** httpCall on behalf of `from`: its onHttpCallResponse gets the answer (dropped if the stream ended first). */
export function dispatchHttpCall(
  from: HttpContext, cluster: string, headers: Array<Pair>, body: ArrayBuffer | null, timeoutMs: u32,
): HttpCallResult {
  const result = httpCall(cluster, headers, body, timeoutMs);
  if (result.ok) streamByToken.set(result.token, from.id);
  return result;
}

/** Calls issued by streams whose answer has not arrived yet (diagnostics). */
export function pendingHttpCallCount(): i32 {
  return streamByToken.size;
}

export function deliverHttpCallResponse(
  rootContextId: u32, token: u32, numHeaders: u32, bodySize: usize, numTrailers: u32,
): void {
  if (!streamByToken.has(token)) {
    const root = getRootContext(rootContextId);
    if (root != null) root.onHttpCallResponse(token, numHeaders, bodySize, numTrailers);
    return;
  }
  const streamId = streamByToken.get(token);
  streamByToken.delete(token);
  const stream = getHttpContext(streamId);
  if (stream == null) return;
  if (setEffectiveContext(streamId) != WasmResult.Ok) {
    log(LogLevel.Warn, "http call " + token.toString() + ": stream " + streamId.toString() + " is gone on the host; answer dropped");
    return;
  }
  stream.onHttpCallResponse(token, numHeaders, bodySize, numTrailers);
}
