#!/usr/bin/env node
// Builds every part of meshgate that exists. `node scripts/build.mjs [target...]`; no target = all.
// Targets: core (conformance builds of shared/ for Node and wasm), dev (process entry points under dev/), cli,
// kong (kong-plugins/build), wasm (envoy-wasm/build/meshgate.wasm).
import { build } from "esbuild";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const portableShim = join(root, "shared/portable-node.ts");
const asc = join(root, "node_modules/.bin/asc");

const targets = {
  async core() {
    const entry = join(root, "shared/conformance/entry.ts");
    if (!existsSync(entry)) return;
    const out = join(root, "build/core");
    mkdirSync(out, { recursive: true });
    await build({
      entryPoints: [entry], bundle: true, platform: "node", format: "esm", target: "node20",
      outfile: join(out, "core.node.mjs"), inject: [portableShim], logLevel: "warning",
    });
    execFileSync(asc, [relative(root, entry), "-o", "build/core/core.wasm", "--bindings", "esm",
      "--exportRuntime", "-O3", "--runtime", "incremental"], { cwd: root, stdio: "inherit" });
  },
  async dev() {
    const entries = findFiles(join(root, "dev"), (p) => p.endsWith("/main.ts"));
    if (entries.length === 0) return;
    await build({
      entryPoints: entries, bundle: true, platform: "node", format: "esm", target: "node20",
      outdir: join(root, "build/dev"), outbase: join(root, "dev"), outExtension: { ".js": ".mjs" },
      inject: [portableShim], packages: "external", logLevel: "warning",
    });
  },
  async cli() {
    const entry = join(root, "cli/main.ts");
    if (!existsSync(entry)) return;
    await build({
      entryPoints: [entry], bundle: true, platform: "node", format: "esm", target: "node20",
      outfile: join(root, "build/cli/meshgate.mjs"), inject: [portableShim], packages: "external", logLevel: "warning",
    });
  },
  async kong() {
    const script = join(root, "kong-plugins/build.mjs");
    if (existsSync(script)) execFileSync(process.execPath, [script], { cwd: root, stdio: "inherit" });
  },
  async wasm() {
    const script = join(root, "envoy-wasm/build.mjs");
    if (existsSync(script)) execFileSync(process.execPath, [script], { cwd: root, stdio: "inherit" });
  },
};

function findFiles(dir, accept) {
  if (!existsSync(dir)) return [];
  const found = [];
  for (const name of readdirSync(dir)) {
    if (name === "node_modules" || name === "build") continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found.push(...findFiles(path, accept));
    else if (accept(path)) found.push(path);
  }
  return found;
}

const wanted = process.argv.slice(2);
for (const name of wanted.length ? wanted : Object.keys(targets)) {
  if (!targets[name]) { console.error(`build: unknown target '${name}' (known: ${Object.keys(targets).join(", ")})`); process.exit(2); }
  await targets[name]();
}
