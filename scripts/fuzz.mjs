#!/usr/bin/env node
// `npm run fuzz`: the long run of meshgate's property tests, bounded in time.
//   1. The cross-build generators (shared/conformance/generators.mjs: every core parser and decision, tsc build
//      vs asc build) with CONFORMANCE_RUNS runs per kind (default 20000).
//   2. The hostile-input properties through both planes' hosts (test/hardening/hostile-input.test.ts) with
//      HARDENING_RUNS runs (default 10000).
//   3. The cross-plane differential test (test/planes/differential.test.ts): DIFFERENTIAL_REQUESTS raw-byte
//      requests through both gateways' HTTP fronts (default 100000).
// The seed is printed and can be given back with FUZZ_SEED to replay a failure; each step is stopped at its time
// budget (FUZZ_MINUTES per step, default 10). Builds what it runs unless --no-build.
//   node scripts/fuzz.mjs [--no-build]
import { execFileSync, spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const seed = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const conformanceRuns = process.env.CONFORMANCE_RUNS ?? "20000";
const hardeningRuns = process.env.HARDENING_RUNS ?? "10000";
const differentialRequests = process.env.DIFFERENTIAL_REQUESTS ?? "100000";
const budgetMs = Number(process.env.FUZZ_MINUTES ?? 10) * 60_000;

if (!Number.isInteger(seed) || !(budgetMs > 0)) {
  console.error("fuzz: FUZZ_SEED must be an integer and FUZZ_MINUTES a positive number");
  process.exit(2);
}
if (!process.argv.includes("--no-build")) {
  execFileSync(process.execPath, [join(root, "scripts/build.mjs"), "core", "kong", "wasm"], { cwd: root, stdio: "inherit" });
}
console.log(`fuzz: seed ${seed} (replay with FUZZ_SEED=${seed}), ${conformanceRuns} runs per core kind, ${hardeningRuns} hostile-input runs, ` +
  `${differentialRequests} differential requests, ` +
  `${budgetMs / 60_000} min per step`);

/** Runs one step; resolves with its exit code, or 124 when it was stopped at the budget. */
function step(name, command, args, env) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(command, args, { cwd: root, stdio: "inherit", env: { ...process.env, ...env } });
    const timer = setTimeout(() => {
      console.error(`fuzz: ${name} stopped at its ${budgetMs / 60_000} min budget`);
      child.kill("SIGTERM");
    }, budgetMs);
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      const result = signal ? 124 : (code ?? 1);
      console.log(`fuzz: ${name} ${result === 0 ? "passed" : `FAILED (${result})`} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
      resolve(result);
    });
  });
}

const results = [
  await step("core cross-build generators", process.execPath, [join(root, "scripts/conformance.mjs")],
    { CONFORMANCE_RUNS: conformanceRuns, CONFORMANCE_SEED: String(seed) }),
  await step("hostile input on both planes", process.execPath,
    [join(root, "node_modules/vitest/vitest.mjs"), "run", "test/hardening/hostile-input.test.ts"],
    { HARDENING_RUNS: hardeningRuns, HARDENING_SEED: String(seed) }),
  await step("cross-plane differential", process.execPath,
    [join(root, "node_modules/vitest/vitest.mjs"), "run", "test/planes/differential.test.ts"],
    { DIFFERENTIAL_REQUESTS: differentialRequests, DIFFERENTIAL_SEED: String(seed) }),
];
process.exit(results.every((r) => r === 0) ? 0 : 1);
