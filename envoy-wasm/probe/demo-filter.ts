// Demo filter (root id "meshgate") exercising the ABI bindings; test-only, and the placeholder entry until the
// real filter lands:
// - on request headers: reads `authorization`, adds `x-meshgate-demo: 1`, continues;
// - with `x-meshgate-demo-call: <cluster>`: GETs the request's own path on that cluster, pauses, and on the
//   answer adds `x-meshgate-demo-call-status: <status>` and resumes (503 local reply when the call fails,
//   500 when the host refuses it, e.g. an unknown cluster).

export * from "../assembly/abi/exports";

import {
  Action, addHeader, dispatchHttpCall, getHeader, HttpContext, MapType, Pair, registerRoot, RootContext,
  sendLocalResponse, StreamType, continueStream,
} from "../assembly/abi";

const DEMO_CALL_TIMEOUT_MS: u32 = 5000;

class DemoStream extends HttpContext {
  onRequestHeaders(numHeaders: u32, endOfStream: bool): Action {
    const authorization = getHeader(MapType.HttpRequestHeaders, "authorization");
    addHeader(MapType.HttpRequestHeaders, "x-meshgate-demo", "1");
    if (authorization != null) addHeader(MapType.HttpRequestHeaders, "x-meshgate-demo-authorization-length", authorization.length.toString());
    const cluster = getHeader(MapType.HttpRequestHeaders, "x-meshgate-demo-call");
    if (cluster == null) return Action.Continue;
    const path = getHeader(MapType.HttpRequestHeaders, ":path");
    const headers: Array<Pair> = [
      new Pair(":method", "GET"), new Pair(":path", path == null ? "/" : path), new Pair(":authority", cluster),
    ];
    const call = dispatchHttpCall(this, cluster, headers, null, DEMO_CALL_TIMEOUT_MS);
    if (!call.ok) sendLocalResponse(500, "meshgate_demo_call_refused", new ArrayBuffer(0), []);
    return Action.Pause;
  }

  onHttpCallResponse(token: u32, numHeaders: u32, bodySize: usize, numTrailers: u32): void {
    if (numHeaders == 0) {
      sendLocalResponse(503, "meshgate_demo_call_failed", String.UTF8.encode("demo call failed\n"), [
        new Pair("content-type", "text/plain"),
      ]);
      return;
    }
    const status = getHeader(MapType.HttpCallResponseHeaders, ":status");
    addHeader(MapType.HttpRequestHeaders, "x-meshgate-demo-call-status", status == null ? "none" : status);
    continueStream(StreamType.HttpRequest);
  }
}

class DemoRoot extends RootContext {
  createHttpContext(id: u32): HttpContext {
    return new DemoStream(id, this);
  }
}

registerRoot("meshgate", (id: u32): RootContext => new DemoRoot(id));
