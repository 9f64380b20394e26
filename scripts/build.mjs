#!/usr/bin/env node
// Builds the parts of meshgate that are out of date. `node scripts/build.mjs [--force] [target...]`; no target = all.
// Targets: core (conformance builds of shared/ for Node and wasm, and wasm on the Envoy plane's own signature
// verifier), dev (process entry points under dev/), cli, kong (kong-plugins/build), wasm (envoy-wasm/build/meshgate.wasm).
// A target is up to date when its outputs exist and a SHA-256 over its inputs (every file under its input paths,
// READMEs aside, plus this script and package-lock.json for the tool versions) equals the one stamped in
// build/.stamps/<target> by its last successful build. Content, not mtimes: a checkout or a copy that touches
// files without changing them rebuilds nothing, and an edit always rebuilds. One line per target says which.
import { build } from "esbuild";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const portableShim = join(root, "shared/portable-node.ts");
const asc = join(root, "node_modules/.bin/asc");

/** Per target: the paths whose files it is built from, and what it must leave behind. */
const plans = {
  core: { inputs: ["shared", "envoy-wasm/assembly/filter", "envoy-wasm/probe/signature-u64.ts"], outputs: ["build/core/core.node.mjs", "build/core/core.wasm", "build/core/core-u64.wasm"] },
  dev: { inputs: ["dev", "shared", "kong-plugins/src"], outputs: ["build/dev/stack/main.mjs", "build/dev/hosts/kong/main.mjs", "build/dev/hosts/envoy/main.mjs", "build/dev/stack/exit-with-parent.mjs"] },
  cli: { inputs: ["cli", "shared", "kong-plugins/src", "package.json"], outputs: ["build/cli/meshgate.mjs"] },
  kong: { inputs: ["kong-plugins/src", "kong-plugins/server", "kong-plugins/build.mjs", "shared"], outputs: ["kong-plugins/build/meshgate.cjs", "kong-plugins/server/build/meshgate-pluginserver.cjs"] },
  wasm: { inputs: ["envoy-wasm/assembly", "envoy-wasm/build.mjs", "envoy-wasm/verify-abi.mjs", "envoy-wasm/abi-0.2.1.json", "shared"], outputs: ["envoy-wasm/build/meshgate.wasm"] },
};
const ALWAYS_INPUTS = ["scripts/build.mjs", "package-lock.json"];
const stampDir = join(root, "build/.stamps");

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
    // The same kinds on the Envoy plane's own signature verifier (asc only; see envoy-wasm/probe/signature-u64.ts).
    execFileSync(asc, ["envoy-wasm/probe/signature-u64.ts", "-o", "build/core/core-u64.wasm", "--bindings", "esm",
      "--exportRuntime", "-O3", "--runtime", "incremental"], { cwd: root, stdio: "inherit" });
  },
  async dev() {
    // Process entry points, and the preload that makes the stack's processes exit with their parent.
    const entries = findFiles(join(root, "dev"), (p) => p.endsWith("/main.ts") || p.endsWith("/stack/exit-with-parent.ts"));
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

/** SHA-256 over the relative path and content of every input file, in a stable order. */
function inputHash(name) {
  const files = [];
  for (const input of [...plans[name].inputs, ...ALWAYS_INPUTS]) {
    const path = join(root, input);
    if (!existsSync(path)) continue;
    if (statSync(path).isDirectory()) files.push(...findFiles(path, (p) => !p.endsWith(".md")));
    else files.push(path);
  }
  const hash = createHash("sha256");
  for (const file of [...new Set(files)].sort()) hash.update(relative(root, file)).update("\0").update(readFileSync(file)).update("\0");
  return hash.digest("hex");
}

function upToDate(name, hash) {
  const stamp = join(stampDir, name);
  return existsSync(stamp) && readFileSync(stamp, "utf8") === hash && plans[name].outputs.every((o) => existsSync(join(root, o)));
}

const args = process.argv.slice(2);
const force = args.includes("--force");
const wanted = args.filter((a) => a !== "--force");
for (const name of wanted) {
  if (!targets[name]) { console.error(`build: unknown target '${name}' (known: ${Object.keys(targets).join(", ")})`); process.exit(2); }
}
mkdirSync(stampDir, { recursive: true });
for (const name of wanted.length ? wanted : Object.keys(targets)) {
  const hash = inputHash(name);
  if (!force && upToDate(name, hash)) {
    console.log(`build: ${name} up to date`);
    continue;
  }
  console.log(`build: ${name} …`);
  const started = performance.now();
  rmSync(join(stampDir, name), { force: true });
  try {
    await targets[name]();
  } catch (err) {
    console.error(`build: ${name} failed${err instanceof Error && err.message ? `: ${err.message.split("\n")[0]}` : ""}`);
    process.exit(1);
  }
  writeFileSync(join(stampDir, name), hash);
  console.log(`build: ${name} built in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}
