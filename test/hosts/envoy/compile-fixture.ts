// Compiles an AssemblyScript fixture under test/hosts/envoy/fixtures with asc, caching the .wasm
// in the OS temp directory by a hash of source, flags and compiler version.

import { createHash } from "node:crypto";
import { mkdir, readFile, rename } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import asc from "assemblyscript/asc";

const fixturesDir = join(dirname(fileURLToPath(import.meta.url)), "fixtures");
const cacheDir = join(tmpdir(), "meshgate-envoy-host-fixtures");

export interface FixtureOptions {
  /** Pass `--use abort=<fixture>/fixtureAbort` (default true). */
  customAbort?: boolean;
}

export async function compileFixture(name: string, options: FixtureOptions = {}): Promise<Uint8Array> {
  const source = await readFile(join(fixturesDir, `${name}.ts`), "utf8");
  const args = [`${name}.ts`, "--baseDir", fixturesDir, "--runtime", "stub", "--exportStart", "_initialize", "-O1"];
  if (options.customAbort ?? true) args.push("--use", `abort=${name}/fixtureAbort`);
  const key = createHash("sha256").update(asc.version).update("\0").update(args.join(" ")).update("\0").update(source).digest("hex").slice(0, 24);
  const cached = join(cacheDir, `${name}-${key}.wasm`);
  try {
    return await readFile(cached);
  } catch {
    // not cached yet
  }
  const outFile = join(cacheDir, `${name}-${key}.${process.pid}.tmp.wasm`);
  await mkdir(cacheDir, { recursive: true });
  let stderrText = "";
  const { error } = await asc.main([...args, "--outFile", outFile], {
    stderr: { write: (chunk: string | Uint8Array) => { stderrText += String(chunk); return true; } },
    stdout: { write: () => true },
  });
  if (error) throw new Error(`asc failed for fixture ${name}: ${error.message}\n${stderrText}`);
  await rename(outFile, cached);
  return readFile(cached);
}
