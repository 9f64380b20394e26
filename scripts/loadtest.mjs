#!/usr/bin/env node
// `npm run loadtest -- <scenario> [k6 run options…]`: runs load-tests/<scenario>.js with k6 when k6 is on PATH,
// otherwise says how to install it and exits 2. Environment variables (BASE_URL, AUTH_URL, …) reach the script
// as __ENV. The mixed scenario writes its summary to load-tests/results/.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const testsDir = join(root, "load-tests");
const scenarios = readdirSync(testsDir).filter((f) => f.endsWith(".js")).map((f) => f.slice(0, -3)).sort();

const INSTALL = `k6 is not on PATH. Install it (https://grafana.com/docs/k6/latest/set-up/install-k6/), e.g.:
  macOS:          brew install k6
  Debian/Ubuntu:  see the apt repository instructions on the page above (package "k6")
  any OS:         a binary from https://github.com/grafana/k6/releases, put on PATH
  Docker:         docker run --rm -i --network host -e BASE_URL -e AUTH_URL grafana/k6 run - < load-tests/<scenario>.js
Then: npm run loadtest -- <scenario>`;

function usage() {
  return `usage: npm run loadtest -- <scenario> [k6 run options]
scenarios: ${scenarios.join(", ")}
variables: BASE_URL (default http://127.0.0.1:8000, the Kong-plane gateway; http://127.0.0.1:10000 for Envoy),
           AUTH_URL (default http://127.0.0.1:9000) and the per-scenario ones in load-tests/README.md`;
}

const [name, ...k6Options] = process.argv.slice(2);
if (!name || name === "-h" || name === "--help") {
  console.error(usage());
  process.exit(2);
}
const scenario = name.replace(/\.js$/, "");
if (!scenarios.includes(scenario)) {
  console.error(`loadtest: unknown scenario '${name}'\n${usage()}`);
  process.exit(2);
}

const probe = spawnSync("k6", ["version"], { encoding: "utf8" });
if (probe.error || probe.status !== 0) {
  console.error(INSTALL);
  process.exit(2);
}
// The scripts are written for k6 v0.48 and later (load-tests/README.md, "Supported k6 versions").
const version = /\bv(\d+)\.(\d+)\.(\d+)/.exec(probe.stdout);
if (version && Number(version[1]) === 0 && Number(version[2]) < 48) {
  console.error(`loadtest: k6 v${version[1]}.${version[2]}.${version[3]} is older than v0.48.0, the oldest version these scenarios support; install a newer k6`);
  process.exit(2);
}

const env = { ...process.env };
if (scenario === "mixed" && !env.SUMMARY_PREFIX) {
  const results = join(testsDir, "results");
  if (!existsSync(results)) mkdirSync(results, { recursive: true });
  env.SUMMARY_PREFIX = join(results, `mixed-${new Date().toISOString().replace(/[:.]/g, "-")}`);
}
const k6 = spawn("k6", ["run", ...k6Options, join(testsDir, `${scenario}.js`)], { stdio: "inherit", env });
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => k6.kill(signal));
k6.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
