// Typed access to Node's WebAssembly global. The project compiles without the DOM lib, so the
// few parts of the JS API the host uses are declared here instead of globally.

export interface WasmModule {
  readonly __wasmModule?: never;
}

export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(deltaPages: number): number;
}

export interface WasmInstance {
  readonly exports: Record<string, unknown>;
}

export type WasmImports = Record<string, Record<string, unknown>>;

interface WasmJsApi {
  compile(bytes: Uint8Array): Promise<WasmModule>;
  Instance: new (module: WasmModule, imports: WasmImports) => WasmInstance;
  Memory: new (descriptor: { initial: number; maximum?: number }) => WasmMemory;
  Module: { exports(module: WasmModule): Array<{ name: string; kind: string }> };
  RuntimeError: new (message?: string) => Error;
}

export const Wasm: WasmJsApi = (globalThis as unknown as { WebAssembly: WasmJsApi }).WebAssembly;

export function isWasmMemory(value: unknown): value is WasmMemory {
  return value instanceof Wasm.Memory;
}
