#!/usr/bin/env node
// Builds envoy-wasm/build/meshgate.wasm and checks it against what Envoy links for proxy-wasm ABI 0.2.1.
//   node envoy-wasm/build.mjs                     compile envoy-wasm/assembly/index.ts to build/meshgate.wasm, verify
//   node envoy-wasm/build.mjs --entry E --out F   compile another entry file (tests use it for probe modules)
//   node envoy-wasm/build.mjs --check F           verify an existing module only
// Exit status 1 names every offending import/export.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { basename, dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { abiProblems } from "./verify-abi.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..");

// The path of the abort replacement is AssemblyScript's internal name, relative to the compiler's cwd (root).
const ASC_FLAGS = [
  "-O3", "--noAssert",
  "--runtime", "incremental",
  "--use", "abort=envoy-wasm/assembly/abi/abort/abortToHostLog",
  "--exportStart", "_initialize",
];

function compile(entry, out) {
  mkdirSync(dirname(out), { recursive: true });
  const asc = join(root, "node_modules/.bin/asc");
  execFileSync(asc, [relative(root, entry), "-o", relative(root, out), ...ASC_FLAGS], { cwd: root, stdio: "inherit" });
}

function verify(file) {
  let report;
  try {
    report = abiProblems(readFileSync(file));
  } catch (error) {
    console.error(`${file}: ${error instanceof Error ? error.message : String(error)}`);
    return false;
  }
  for (const problem of report.problems) console.error(`${basename(file)}: ${problem}`);
  if (report.problems.length > 0) return false;
  const size = readFileSync(file).length;
  console.log(`${basename(file)}: ${size} bytes, imports: ${report.imports.length}`);
  return true;
}

const args = process.argv.slice(2);
if (args[0] === "--check") {
  if (!args[1]) { console.error("usage: node envoy-wasm/build.mjs --check <module.wasm>"); process.exit(2); }
  process.exit(verify(args[1]) ? 0 : 1);
}
const option = (name, fallback) => {
  const at = args.indexOf(name);
  return at >= 0 && args[at + 1] ? resolve(args[at + 1]) : fallback;
};
const entry = option("--entry", join(here, "assembly/index.ts"));
const output = option("--out", join(here, "build/meshgate.wasm"));
try {
  compile(entry, output);
} catch {
  console.error(`${basename(output)}: AssemblyScript compilation failed (see above)`);
  process.exit(1);
}
process.exit(verify(output) ? 0 : 1);
