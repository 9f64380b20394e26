#!/usr/bin/env node
// `npm run bench:core`: ns per operation of the core's hot-path decisions on both builds (Node via
// esbuild, wasm via asc), in one run on this machine. A figure, not a test: nothing here asserts time.
import { readFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const builds = {
  node: await import(join(root, "build/core/core.node.mjs")),
  wasm: await import(join(root, "build/core/core.js")),
};
const policy = JSON.stringify(parse(readFileSync(join(root, "dev/policy.yaml"), "utf8")));
const token = "eyJ" + "a".repeat(1021); // a 1 KB bearer token
const introspection = JSON.stringify({
  active: true, sub: "alice", exp: 1767229200, iat: 1767225600, groups: ["testers", "staff"],
  scope: "read write", client_id: "web", token_type: "Bearer", iss: "https://auth.example.com", aud: "meshgate",
});

const cases = [
  ["cache key of a 1 KB token (SHA-256)", (b, n) => b.benchCacheKey(policy, token, n), 20_000],
  ["interpret an introspection answer", (b, n) => b.benchInterpret(policy, introspection, n), 20_000],
  ["canary decision", (b, n) => b.benchCanary(policy, n), 200_000],
  ["GCRA step", (b, n) => b.benchGcra(policy, n), 1_000_000],
  ["validate the example policy", (b, n) => b.benchValidate(policy, n), 5_000],
];

function nsPerOp(build, run, n) {
  run(build, Math.ceil(n / 10)); // warm up (JIT, wasm tier-up)
  let best = Infinity;
  for (let round = 0; round < 5; round++) {
    const started = process.hrtime.bigint();
    run(build, n);
    best = Math.min(best, Number(process.hrtime.bigint() - started) / n);
  }
  return best;
}

console.log(`core benchmark (Node ${process.version}; best of 5 rounds; ns/op)`);
console.log(`${"operation".padEnd(40)} ${"node".padStart(10)} ${"wasm".padStart(10)} ${"wasm/node".padStart(10)}`);
for (const [name, run, n] of cases) {
  const node = nsPerOp(builds.node, run, n);
  const wasm = nsPerOp(builds.wasm, run, n);
  console.log(`${name.padEnd(40)} ${node.toFixed(0).padStart(10)} ${wasm.toFixed(0).padStart(10)} ${(wasm / node).toFixed(2).padStart(10)}`);
}
