// Checklist point 1: load = compile + strict import/type check against exactly what cpp-host
// registers for ABI 0.2.1, ABI marker required, malloc required.

import { beforeAll, describe, expect, it } from "vitest";
import { EnvoyHost } from "../../../dev/hosts/envoy/host.js";
import { registeredHostFunctions } from "../../../dev/hosts/envoy/signatures.js";
import { compileFixture } from "./compile-fixture.js";
import { ABI_MARKER, buildModule, i32, i64, MALLOC, type Sig } from "./wasm-builder.js";

const start = (wasm: Uint8Array): Promise<EnvoyHost> => EnvoyHost.start({ wasm, pluginConfig: "", clusters: {}, workers: 1 });

async function startAndClose(wasm: Uint8Array): Promise<void> {
  const host = await start(wasm);
  await host.close();
}

describe("loading a module (strict import check)", () => {
  let testFilter: Uint8Array;
  let withAbort: Uint8Array;
  let withSeed: Uint8Array;

  beforeAll(async () => {
    testFilter = await compileFixture("test-filter");
    withAbort = await compileFixture("imports-abort", { customAbort: false });
    withSeed = await compileFixture("imports-seed");
  }, 60_000);

  it("links the AssemblyScript test filter, whose imports are all registered", async () => {
    await expect(startAndClose(testFilter)).resolves.toBeUndefined();
  });

  it("links a module importing every function cpp-host registers for 0.2.1 (WASI under both names)", async () => {
    const importFuncs = [...registeredHostFunctions("0.2.1")].map(([full, sig]) => {
      const dot = full.indexOf(".");
      return { module: full.slice(0, dot), name: full.slice(dot + 1), sig: sig as Sig };
    });
    expect(importFuncs.some((f) => f.module === "wasi_unstable" && f.name === "fd_write")).toBe(true);
    expect(importFuncs.some((f) => f.module === "wasi_snapshot_preview1" && f.name === "clock_time_get")).toBe(true);
    expect(importFuncs.some((f) => f.module === "env" && f.name === "pthread_equal")).toBe(true);
    expect(importFuncs.some((f) => f.module === "env" && f.name === "emscripten_notify_memory_growth")).toBe(true);
    await expect(startAndClose(buildModule({ importFuncs, exports: [ABI_MARKER, MALLOC] }))).resolves.toBeUndefined();
  });

  it("rejects env.abort (asc without --use abort) with Envoy's missing-import text", async () => {
    await expect(start(withAbort)).rejects.toThrow("Failed to load Wasm module due to a missing import: env.abort");
  });

  it("rejects env.seed (Math.random) with Envoy's missing-import text", async () => {
    await expect(start(withSeed)).rejects.toThrow("Failed to load Wasm module due to a missing import: env.seed");
  });

  it.each(["proxy_clear_route_cache", "proxy_get_configuration", "proxy_continue_request"])(
    "rejects %s, which cpp-host registers only for ABI 0.1.0", async (fn) => {
      const wasm = buildModule({ importFuncs: [{ module: "env", name: fn, sig: { params: [], results: [i32] } }], exports: [ABI_MARKER, MALLOC] });
      await expect(start(wasm)).rejects.toThrow(`missing import: env.${fn}`);
    });

  it("rejects proxy_get_log_level for an ABI 0.2.0 module (registered only for 0.2.1)", async () => {
    const wasm = buildModule({
      importFuncs: [{ module: "env", name: "proxy_get_log_level", sig: { params: [i32], results: [i32] } }],
      exports: [{ name: "proxy_abi_version_0_2_0", sig: { params: [], results: [] } }, MALLOC],
    });
    await expect(start(wasm)).rejects.toThrow("missing import: env.proxy_get_log_level");
  });

  it("rejects an import whose type differs from the host function (import type mismatch)", async () => {
    const wasm = buildModule({
      importFuncs: [{ module: "env", name: "proxy_log", sig: { params: [i32, i32], results: [i32] } }],
      exports: [ABI_MARKER, MALLOC],
    });
    await expect(start(wasm)).rejects.toThrow(
      "Failed to load Wasm module due to an import type mismatch: env.proxy_log, want: i32 i32 -> i32, but host exports: i32 i32 i32 -> i32");
  });

  it("rejects i32 where the host takes i64 (proxy_increment_metric delta)", async () => {
    const wasm = buildModule({
      importFuncs: [{ module: "env", name: "proxy_increment_metric", sig: { params: [i32, i32], results: [i32] } }],
      exports: [ABI_MARKER, MALLOC],
    });
    await expect(start(wasm)).rejects.toThrow("want: i32 i32 -> i32, but host exports: i32 i64 -> i32");
  });

  it("rejects imported globals", async () => {
    const wasm = buildModule({ importGlobals: [{ module: "env", name: "__stack_pointer", type: i64 }], exports: [ABI_MARKER, MALLOC] });
    await expect(start(wasm)).rejects.toThrow("missing import: env.__stack_pointer");
  });

  it("requires the ABI version marker", async () => {
    await expect(start(buildModule({ exports: [MALLOC] }))).rejects.toThrow("Missing or unknown Proxy-Wasm ABI version");
  });

  it("requires malloc (or proxy_on_memory_allocate)", async () => {
    await expect(start(buildModule({ exports: [ABI_MARKER] }))).rejects.toThrow("Wasm module is missing malloc function.");
    const alias = buildModule({ exports: [ABI_MARKER, { name: "proxy_on_memory_allocate", sig: MALLOC.sig }] });
    await expect(startAndClose(alias)).resolves.toBeUndefined();
  });

  it("rejects a known export with the wrong signature", async () => {
    const wasm = buildModule({ exports: [ABI_MARKER, MALLOC, { name: "proxy_on_request_headers", sig: { params: [i32, i32], results: [i32] } }] });
    await expect(start(wasm)).rejects.toThrow(
      "Bad function signature for: proxy_on_request_headers, want: i32 i32 i32 -> i32, but the module exports: i32 i32 -> i32");
  });

  it("rejects bytes that are not a wasm module", async () => {
    await expect(start(Buffer.from("not wasm at all"))).rejects.toThrow("Failed to parse corrupted Wasm module");
  });

  it("rejects a missing file with the path in the message", async () => {
    await expect(EnvoyHost.start({ wasm: "/nonexistent/x.wasm", pluginConfig: "", clusters: {} }))
      .rejects.toThrow("cannot read wasm file '/nonexistent/x.wasm'");
  });
});
