// The floor for the filter benchmark: the least any token-checking proxy-wasm filter does per request.
// It reads Authorization, hashes it with FNV-1a, looks the hash up in shared data once and sets one
// header (a miss stores the hash, so later requests are hits). Built with the same flags as meshgate.wasm:
//   node envoy-wasm/build.mjs --entry bench/wasm/floor.ts --out build/bench/floor.wasm
export * from "../../envoy-wasm/assembly/abi/exports";

import {
  Action, getHeader, getSharedData, HttpContext, MapType, registerRoot, replaceHeader, RootContext, setSharedData, WasmResult,
} from "../../envoy-wasm/assembly/abi";

function fnv1a(text: string): u32 {
  let h: u32 = 2166136261;
  for (let i = 0; i < text.length; i++) {
    h ^= <u32>text.charCodeAt(i);
    h *= 16777619;
  }
  return h;
}

class FloorStream extends HttpContext {
  onRequestHeaders(numHeaders: u32, endOfStream: bool): Action {
    const authorization = getHeader(MapType.HttpRequestHeaders, "authorization");
    if (authorization == null) return Action.Continue;
    const key = "floor:" + fnv1a(authorization).toString(16);
    const hit = getSharedData(key).status == WasmResult.Ok;
    // The first request of a token stores it; every later one is a hit, like a warm decision cache.
    if (!hit) setSharedData(key, String.UTF8.encode("1"));
    replaceHeader(MapType.HttpRequestHeaders, "x-floor", hit ? "hit" : "miss");
    return Action.Continue;
  }
}

class FloorRoot extends RootContext {
  createHttpContext(id: u32): HttpContext {
    return new FloorStream(id, this);
  }
}

registerRoot("floor", (id: u32): RootContext => new FloorRoot(id));
