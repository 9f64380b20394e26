// Loading and linking checks in the order proxy-wasm-cpp-host performs them (WasmBase::load,
// V8::link, WasmBase::getFunctions), with the messages Envoy logs.

import { ABI_MARKERS, type AbiVersion } from "./abi.js";
import { readModuleInfo, printValTypes, ModuleParseError, type ModuleInfo, type FuncSig } from "./module-info.js";
import { EXPORT_SIGNATURES, registeredHostFunctions } from "./signatures.js";
import { Wasm, type WasmModule } from "./wasm-api.js";

export class WasmLoadError extends Error {
  override name = "WasmLoadError";
}

export interface LoadedModule {
  module: WasmModule;
  info: ModuleInfo;
  abi: AbiVersion;
  /** Set when the module imports its memory (cpp-host creates one with the declared limits). */
  memoryImport: { module: string; name: string; initial: number; maximum: number | undefined } | null;
}

function sameSig(a: FuncSig, b: FuncSig): boolean {
  return a.params.join() === b.params.join() && a.results.join() === b.results.join();
}

export async function loadWasmModule(bytes: Uint8Array): Promise<LoadedModule> {
  let info: ModuleInfo;
  try {
    info = readModuleInfo(bytes);
  } catch (err) {
    const why = err instanceof ModuleParseError ? `: ${err.message}` : "";
    throw new WasmLoadError(`Failed to parse corrupted Wasm module${why}`);
  }
  let abi: AbiVersion | null = null;
  for (const [marker, version] of ABI_MARKERS) {
    if (info.functionExports.has(marker)) { abi = version; break; }
  }
  if (abi === null) throw new WasmLoadError("Missing or unknown Proxy-Wasm ABI version");
  if (abi === "0.1.0") {
    throw new WasmLoadError("Proxy-Wasm ABI 0.1.0 is not supported by this host (0.2.0 and 0.2.1 are)");
  }

  let module: WasmModule;
  try {
    module = await Wasm.compile(bytes);
  } catch (err) {
    throw new WasmLoadError(`Failed to load Wasm bytecode: ${err instanceof Error ? err.message : String(err)}`);
  }

  const registered = registeredHostFunctions(abi);
  let memoryImport: LoadedModule["memoryImport"] = null;
  for (const imp of info.imports) {
    const full = `${imp.module}.${imp.name}`;
    const desc = imp.desc;
    if (desc.kind === "function") {
      const host = registered.get(full);
      if (!host) throw new WasmLoadError(`Failed to load Wasm module due to a missing import: ${full}`);
      if (!sameSig(desc.sig, host)) {
        throw new WasmLoadError(
          `Failed to load Wasm module due to an import type mismatch: ${full}, want: ` +
            `${printValTypes(desc.sig.params)} -> ${printValTypes(desc.sig.results)}, but host exports: ` +
            `${printValTypes(host.params)} -> ${printValTypes(host.results)}`,
        );
      }
    } else if (desc.kind === "memory") {
      memoryImport = { module: imp.module, name: imp.name, initial: desc.initial, maximum: desc.maximum };
    } else {
      // Globals (and, here, tables and tags) cannot be linked.
      throw new WasmLoadError(`Failed to load Wasm module due to a missing import: ${full}`);
    }
  }

  for (const [name, actual] of info.functionExports) {
    const want = EXPORT_SIGNATURES[name];
    if (want && !sameSig(want, actual)) {
      throw new WasmLoadError(
        `Bad function signature for: ${name}, want: ${printValTypes(want.params)} -> ` +
          `${printValTypes(want.results)}, but the module exports: ${printValTypes(actual.params)} -> ` +
          `${printValTypes(actual.results)}`,
      );
    }
  }
  if (!info.functionExports.has("malloc") && !info.functionExports.has("proxy_on_memory_allocate")) {
    throw new WasmLoadError("Wasm module is missing malloc function.");
  }
  if (!memoryImport && !Wasm.Module.exports(module).some((e) => e.kind === "memory")) {
    throw new WasmLoadError("Wasm module has no memory (neither exported nor imported)");
  }
  return { module, info, abi, memoryImport };
}
