#!/usr/bin/env node
// `npm run bench:kong`: builds the plugin, bundles the benchmark (bench/kong/kong-bench.ts, which drives the
// Kong dev host and the real plugin server) and runs it. Arguments are passed on (see kong-bench.ts):
// --quick, --requests N, --seconds S, --concurrency C, --leak-requests N.
import { execFileSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
execFileSync(process.execPath, [join(root, "scripts/build.mjs"), "kong"], { cwd: root, stdio: "inherit" });
const outfile = join(root, "build/bench/kong-bench.mjs");
await build({
  entryPoints: [join(root, "bench/kong/kong-bench.ts")], outfile,
  bundle: true, platform: "node", format: "esm", target: "node20", packages: "external",
  inject: [join(root, "shared/portable-node.ts")], logLevel: "warning",
});
await import(pathToFileURL(outfile).href);
