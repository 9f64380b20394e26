// The shipped module, whatever filter it holds: what Envoy links and calls, and the memory it hands the host.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildModule, repoRoot, type BuiltModule } from "./support/build-module";
import { wasm, type WasmMemory, type WasmModule } from "./support/wasm-api";

interface AbiTable {
  imports: Record<string, Record<string, string>>;
  requiredExports: string[];
}
const abi = JSON.parse(readFileSync(join(repoRoot, "envoy-wasm/abi-0.2.1.json"), "utf8")) as AbiTable;

const CALLBACK_EXPORTS = [
  "proxy_on_context_create", "proxy_on_vm_start", "proxy_validate_configuration", "proxy_on_configure", "proxy_on_tick",
  "proxy_on_queue_ready", "proxy_on_foreign_function", "proxy_on_request_headers", "proxy_on_request_body",
  "proxy_on_request_trailers", "proxy_on_response_headers", "proxy_on_response_body", "proxy_on_response_trailers",
  "proxy_on_http_call_response", "proxy_on_grpc_receive_initial_metadata", "proxy_on_grpc_receive",
  "proxy_on_grpc_receive_trailing_metadata", "proxy_on_grpc_close", "proxy_on_log", "proxy_on_done", "proxy_on_delete",
];

let built: BuiltModule;
let module: WasmModule;

beforeAll(async () => {
  built = await buildModule("envoy-wasm/assembly/index.ts", "meshgate.wasm");
  module = new wasm.Module(built.bytes);
}, 60_000);

afterAll(async () => {
  await built?.dispose();
});

describe("meshgate.wasm surface", () => {
  it("prints its size and import count", () => {
    const imports = wasm.Module.imports(module);
    expect(built.buildOutput.trim()).toBe(`meshgate.wasm: ${built.bytes.length} bytes, imports: ${imports.length}`);
  });

  it("exports the ABI marker, malloc, _initialize, memory and every proxy_on_* callback", () => {
    const names = new Set(wasm.Module.exports(module).map((entry) => entry.name));
    for (const name of [...abi.requiredExports, "proxy_on_memory_allocate", ...CALLBACK_EXPORTS]) {
      expect(names, name).toContain(name);
    }
    expect(names).not.toContain("_start");
    expect(names).not.toContain("main");
  });

  it("imports only functions Envoy registers for ABI 0.2.1", () => {
    const imports = wasm.Module.imports(module);
    expect(imports.length).toBeGreaterThan(0);
    for (const entry of imports) {
      expect(entry.kind, `${entry.module}.${entry.name}`).toBe("function");
      expect(abi.imports[entry.module]?.[entry.name], `${entry.module}.${entry.name}`).toBeDefined();
    }
    const names = imports.map((entry) => `${entry.module}.${entry.name}`);
    for (const forbidden of ["env.abort", "env.seed", "env.trace", "env.Date.now", "env.proxy_clear_route_cache",
      "env.proxy_get_configuration", "env.proxy_continue_request", "env.proxy_continue_response"]) {
      expect(names).not.toContain(forbidden);
    }
  });
});

describe("malloc", () => {
  /** Instantiates with every import answering Ok, so this holds for any filter the entry contains. */
  function instantiate(): { malloc(size: number): number; memory: WasmMemory } {
    const imports: Record<string, Record<string, () => number>> = {};
    for (const entry of wasm.Module.imports(module)) (imports[entry.module] ??= {})[entry.name] = () => 0;
    const instance = new wasm.Instance(module, imports);
    (instance.exports._initialize as () => void)();
    return { malloc: instance.exports.malloc as (size: number) => number, memory: instance.exports.memory as WasmMemory };
  }

  it("returns distinct, aligned, writable blocks that later allocations leave intact", () => {
    const guest = instantiate();
    const sizes = [1, 16, 100, 4096, 70_000, 3];
    const blocks = sizes.map((size, index) => {
      const ptr = guest.malloc(size);
      const pattern = new Uint8Array(size).map((_, at) => (at * 31 + index) & 0xff);
      new Uint8Array(guest.memory.buffer).set(pattern, ptr);
      return { ptr, size, pattern };
    });
    for (const block of blocks) expect(block.ptr % 8).toBe(0);
    const sorted = [...blocks].sort((a, b) => a.ptr - b.ptr);
    for (let i = 1; i < sorted.length; i++) expect(sorted[i]!.ptr).toBeGreaterThanOrEqual(sorted[i - 1]!.ptr + sorted[i - 1]!.size);
    for (let i = 0; i < 50; i++) guest.malloc(1000);
    for (const block of blocks) expect(new Uint8Array(guest.memory.buffer, block.ptr, block.size)).toEqual(block.pattern);
  });
});
