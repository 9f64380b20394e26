#!/usr/bin/env node
// `npm test`: build → type-checks → vitest → conformance. A failed build stops the run (nothing after it can
// be trusted); every later step runs even when an earlier one failed, so one run reports everything. Ends
// with one line per step and exits non-zero if any failed. Arguments go to vitest (`npm test -- test/kong`).
import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = (name) => join(root, "node_modules/.bin", name);
const vitestArgs = process.argv.slice(2);

const steps = [
  { name: "build", command: [process.execPath, join(root, "scripts/build.mjs")], fatal: true },
  { name: "typecheck", command: [bin("tsc"), "-p", "tsconfig.json", "--noEmit"] },
  { name: "typecheck load-tests", command: [bin("tsc"), "-p", "load-tests/tsconfig.json"] },
  { name: "vitest", command: [bin("vitest"), "run", ...vitestArgs], summary: /^\s*(Test Files|Tests)\s+.+$/ },
  { name: "conformance", command: [process.execPath, join(root, "scripts/conformance.mjs")], summary: /^conformance: .+$/ },
];

/** Runs a step with its output passed through, remembering the lines its summary pattern matches. */
function run(step) {
  return new Promise((resolve) => {
    const [command, ...args] = step.command;
    const child = spawn(command, args, { cwd: root, stdio: ["inherit", "pipe", "inherit"] });
    const summary = [];
    let partial = "";
    child.stdout.on("data", (chunk) => {
      process.stdout.write(chunk);
      if (!step.summary) return;
      const lines = (partial + chunk.toString()).split("\n");
      partial = lines.pop() ?? "";
      // eslint-disable-next-line no-control-regex
      for (const line of lines) if (step.summary.test(line.replace(/\x1b\[[0-9;]*m/g, ""))) summary.push(line.replace(/\x1b\[[0-9;]*m/g, "").trim());
    });
    child.on("error", (error) => resolve({ code: 1, summary: [`could not start ${command}: ${error.message}`] }));
    child.on("close", (code, signal) => resolve({ code: code ?? 1, signal, summary }));
  });
}

const results = [];
for (const step of steps) {
  console.log(`\n── ${step.name}: ${step.command.map((part) => part.replace(root + "/", "")).join(" ")}`);
  const started = Date.now();
  const outcome = await run(step);
  results.push({ step, ...outcome, seconds: (Date.now() - started) / 1000 });
  if (outcome.code !== 0 && step.fatal) break;
}

console.log("\n── npm test summary");
for (const { step, code, signal, summary, seconds } of results) {
  const status = code === 0 ? "ok    " : "FAILED";
  const detail = summary.length > 0 ? ` — ${summary.join("; ")}` : signal ? ` — killed by ${signal}` : "";
  console.log(`${status} ${step.name} (${seconds.toFixed(1)} s)${detail}`);
}
for (const step of steps.slice(results.length)) console.log(`not run ${step.name} (the build failed)`);
const failed = results.filter((r) => r.code !== 0).map((r) => r.step.name);
console.log(failed.length === 0 ? "npm test: all steps passed" : `npm test: FAILED: ${failed.join(", ")}`);
process.exit(failed.length === 0 && results.length === steps.length ? 0 : 1);
