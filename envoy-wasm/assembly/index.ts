// meshgate for Envoy: the proxy-wasm filter (ABI 0.2.1) that runs the shared policy core.
// Root id "meshgate" (Istio WasmPlugin `pluginName: meshgate`; EnvoyFilter `root_id: meshgate`).
export * from "./abi/exports";

import { registerRoot, RootContext } from "./abi";
import { MeshgateRoot } from "./filter/root";

registerRoot("meshgate", (id: u32): RootContext => new MeshgateRoot(id));
