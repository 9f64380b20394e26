#!/usr/bin/env node
// Runs every vector in shared/vectors/*.json against the Node build and the wasm build of the core,
// then compares both builds on generated inputs (fast-check, seeded). Prints one summary line:
//   conformance: <N> vectors, tsc <P>/<N>, asc <Q>/<N>, generated <G> agree
// and exits non-zero on any failure or disagreement.
import { readFileSync, readdirSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { isDeepStrictEqual } from "node:util";
import fc from "fast-check";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const nodeBuild = await import(join(root, "build/core/core.node.mjs"));
const wasmBuild = await import(join(root, "build/core/core.js"));
const { generators } = await import(join(root, "shared/conformance/generators.mjs"));

const runs = Number(process.env.CONFORMANCE_RUNS ?? 1000);
const seed = Number(process.env.CONFORMANCE_SEED ?? 20261122);
const verbose = process.argv.includes("--verbose");
const failures = [];

function run(build, kind, input) {
  const text = build.runVector(kind, JSON.stringify(input));
  return JSON.parse(text);
}

const vectorDir = join(root, "shared/vectors");
const vectors = [];
for (const file of readdirSync(vectorDir).filter((f) => f.endsWith(".json")).sort()) {
  const list = JSON.parse(readFileSync(join(vectorDir, file), "utf8"));
  for (const v of list) vectors.push({ ...v, file });
}

let tscPass = 0;
let ascPass = 0;
const names = new Set();
for (const v of vectors) {
  const id = `${v.file}: ${v.name}`;
  if (names.has(id)) failures.push(`${id}: duplicate vector name`);
  names.add(id);
  const tsc = run(nodeBuild, v.kind, v.input);
  const asc = run(wasmBuild, v.kind, v.input);
  if (isDeepStrictEqual(tsc, v.expected)) tscPass++;
  else failures.push(`${id} [tsc]\n    expected ${JSON.stringify(v.expected)}\n    got      ${JSON.stringify(tsc)}`);
  if (isDeepStrictEqual(asc, v.expected)) ascPass++;
  else failures.push(`${id} [asc]\n    expected ${JSON.stringify(v.expected)}\n    got      ${JSON.stringify(asc)}`);
}

let generated = 0;
for (const [kind, arbitrary] of Object.entries(generators)) {
  const result = fc.check(
    fc.property(arbitrary, (input) => {
      generated++;
      const tsc = run(nodeBuild, kind, input);
      const asc = run(wasmBuild, kind, input);
      if (tsc.harnessError) throw new Error(`harness error: ${tsc.harnessError}`);
      return isDeepStrictEqual(tsc, asc);
    }),
    { numRuns: runs, seed },
  );
  if (result.failed) {
    const input = result.counterexample?.[0];
    failures.push(`generated ${kind}: builds disagree (seed ${seed}) on ${JSON.stringify(input)}\n` +
      `    tsc ${JSON.stringify(input && run(nodeBuild, kind, input))}\n    asc ${JSON.stringify(input && run(wasmBuild, kind, input))}` +
      (result.errorInstance ? `\n    ${result.errorInstance}` : ""));
  }
}

const shown = verbose ? failures : failures.slice(0, 30);
for (const f of shown) console.error(`FAIL ${f}`);
if (failures.length > shown.length) console.error(`... and ${failures.length - shown.length} more (--verbose)`);
const n = vectors.length;
console.log(`conformance: ${n} vectors, tsc ${tscPass}/${n}, asc ${ascPass}/${n}, generated ${generated} agree`);
process.exit(failures.length === 0 && n > 0 ? 0 : 1);
