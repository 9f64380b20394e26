// Typed access to the WebAssembly global: the project's lib (ES2022 + @types/node 20) does not declare it, and
// a module-local view avoids adding an ambient declaration that could clash with other parts of the tree.

export interface WasmImportDescriptor { module: string; name: string; kind: string }
export interface WasmExportDescriptor { name: string; kind: string }
export interface WasmMemory { readonly buffer: ArrayBuffer }
export interface WasmModule { readonly __brand?: "WebAssembly.Module" }
export interface WasmInstance { readonly exports: Record<string, unknown> }

interface WasmApi {
  Module: {
    new (bytes: Uint8Array): WasmModule;
    imports(module: WasmModule): WasmImportDescriptor[];
    exports(module: WasmModule): WasmExportDescriptor[];
  };
  Instance: new (module: WasmModule, imports: Record<string, Record<string, unknown>>) => WasmInstance;
  RuntimeError: new (message?: string) => Error;
}

export const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
