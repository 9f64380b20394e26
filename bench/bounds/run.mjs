#!/usr/bin/env node
// `npm run bench:bounds`: builds the Kong plugin and meshgate.wasm unless --no-build, bundles bench/bounds/bounds.ts
// and runs it. Arguments are passed on: --tokens N (default 1000000), --max-entries N (10000), --concurrency C (64),
// --plane kong|envoy (both), --max-seconds S (150 per plane: the run stops there and says how far it got).
// On a shared 2-core VM the Kong plane took about 4 500 tokens/s and the Envoy plane 2 000-3 000/s, so the
// full million on both needs --max-seconds 500 (about 12 minutes).
import { execFileSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const args = process.argv.slice(2);
const noBuild = args.includes("--no-build");
if (!noBuild) execFileSync(process.execPath, [join(root, "scripts/build.mjs"), "kong", "wasm"], { cwd: root, stdio: "inherit" });
const outfile = join(root, "build/bench/bounds.mjs");
await build({
  entryPoints: [join(root, "bench/bounds/bounds.ts")], outfile,
  bundle: true, platform: "node", format: "esm", target: "node20", packages: "external",
  inject: [join(root, "shared/portable-node.ts")], logLevel: "warning",
});
process.argv = [process.argv[0], outfile, ...args.filter((a) => a !== "--no-build")];
await import(pathToFileURL(outfile).href);
