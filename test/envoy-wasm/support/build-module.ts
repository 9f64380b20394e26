// Compiles an AssemblyScript entry with envoy-wasm/build.mjs (same flags and ABI check as the shipped module)
// into a fresh temporary directory, so test files running in parallel never share an output file.
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

export const repoRoot = join(import.meta.dirname, "../../..");
export const buildScript = join(repoRoot, "envoy-wasm/build.mjs");

const run = promisify(execFile);

export interface BuiltModule {
  bytes: Uint8Array;
  path: string;
  buildOutput: string;
  dispose(): Promise<void>;
}

export async function buildModule(entry: string, name: string): Promise<BuiltModule> {
  const dir = await mkdtemp(join(tmpdir(), "meshgate-wasm-"));
  const path = join(dir, name);
  const { stdout } = await run(process.execPath, [buildScript, "--entry", join(repoRoot, entry), "--out", path], {
    cwd: repoRoot,
  });
  return {
    bytes: new Uint8Array(await readFile(path)),
    path,
    buildOutput: stdout,
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}
