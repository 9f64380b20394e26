// envoy-wasm/build.mjs --check: the import/export gate that fails the build before Envoy would refuse the module.
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildScript, repoRoot } from "./support/build-module";
import { wasm } from "./support/wasm-api";
import { assembleModule, BASE_EXPORTS, type ExportSpec, type ImportSpec } from "./support/wasm-bytes";

const run = promisify(execFile);
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "meshgate-abi-check-"));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function check(name: string, bytes: Uint8Array): Promise<{ code: number; stdout: string; stderr: string }> {
  const file = join(dir, name);
  await writeFile(file, bytes);
  try {
    const { stdout, stderr } = await run(process.execPath, [buildScript, "--check", file], { cwd: repoRoot });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? "", stderr: failed.stderr ?? "" };
  }
}

const proxyLog: ImportSpec = { module: "env", name: "proxy_log", params: ["i32", "i32", "i32"], results: ["i32"] };

describe("ABI 0.2.1 import/export check", () => {
  it("accepts a module with registered imports and the required exports, printing size and import count", async () => {
    const increment: ImportSpec = { module: "env", name: "proxy_increment_metric", params: ["i32", "i64"], results: ["i32"] };
    const bytes = assembleModule([proxyLog, increment], BASE_EXPORTS);
    expect(wasm.Module.imports(new wasm.Module(bytes))).toHaveLength(2);
    const result = await check("ok.wasm", bytes);
    expect(result).toEqual({ code: 0, stdout: `ok.wasm: ${bytes.length} bytes, imports: 2\n`, stderr: "" });
  });

  it.each([
    ["env.abort", { module: "env", name: "abort", params: ["i32", "i32", "i32", "i32"], results: [] }],
    ["env.seed", { module: "env", name: "seed", params: [], results: ["i32"] }],
    ["env.proxy_clear_route_cache", { module: "env", name: "proxy_clear_route_cache", params: [], results: ["i32"] }],
    ["env.proxy_continue_request", { module: "env", name: "proxy_continue_request", params: [], results: ["i32"] }],
  ] as Array<[string, ImportSpec]>)("rejects %s, naming it", async (id, spec) => {
    const result = await check("bad-import.wasm", assembleModule([proxyLog, spec], BASE_EXPORTS));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`import ${id}`);
    expect(result.stderr).toContain("not registered by Envoy for ABI 0.2.1");
    expect(result.stdout).toBe("");
  });

  it("rejects a registered import with the wrong signature (i32 delta instead of i64)", async () => {
    const wrong: ImportSpec = { module: "env", name: "proxy_increment_metric", params: ["i32", "i32"], results: ["i32"] };
    const result = await check("bad-type.wasm", assembleModule([wrong], BASE_EXPORTS));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("import env.proxy_increment_metric: signature (i32, i32) -> i32, Envoy registers (i32, i64) -> i32");
  });

  it("rejects a module without malloc or the ABI marker", async () => {
    const result = await check("no-malloc.wasm", assembleModule([proxyLog], [BASE_EXPORTS[1]!]));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("export proxy_abi_version_0_2_1: missing");
    expect(result.stderr).toContain("export malloc: missing");
  });

  it("rejects a callback export whose signature the host would refuse", async () => {
    const badCallback: ExportSpec = { name: "proxy_on_request_headers", params: ["i32", "i32"], results: ["i32"] };
    const result = await check("bad-export.wasm", assembleModule([proxyLog], [...BASE_EXPORTS, badCallback]));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("export proxy_on_request_headers: signature (i32, i32) -> i32, the host expects (i32, i32, i32) -> i32");
  });

  it("reports a file that is not wasm instead of crashing", async () => {
    const result = await check("not.wasm", new TextEncoder().encode("hello"));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("not a wasm module");
  });
});
