// The benchmark's baseline proxy-wasm filter (AssemblyScript, root id "meshgate" like the real one): every
// request continues untouched, so the Envoy-plane cell measures the host's per-stream cost without meshgate.
// Built by bench/stack/run.mjs with `node envoy-wasm/build.mjs --entry bench/stack/empty-filter.ts --out …`.
export * from "../../envoy-wasm/assembly/abi/exports";

import { Action, HttpContext, registerRoot, RootContext } from "../../envoy-wasm/assembly/abi";

class PassThrough extends HttpContext {
  onRequestHeaders(numHeaders: u32, endOfStream: bool): Action {
    return Action.Continue;
  }
}

class PassThroughRoot extends RootContext {
  createHttpContext(id: u32): HttpContext {
    return new PassThrough(id, this);
  }
}

registerRoot("meshgate", (id: u32): RootContext => new PassThroughRoot(id));
