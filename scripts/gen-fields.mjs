#!/usr/bin/env node
// `npm run gen:fields`: writes the Kong schema, the JSON Schema, the README field tables and the parser's constants
// (shared/src/policy-facts.generated.ts) from the field table
// (shared/src/policy-fields.ts). `--check` writes nothing and exits 1 when a file is not what the table gives.
// test/scripts/gen-fields.test.ts runs the same comparison.
import { build } from "esbuild";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const check = process.argv.includes("--check");
const out = join(root, "build/gen-fields/generate.mjs");
await build({
  entryPoints: [join(root, "scripts/fields/generate.ts")], bundle: true, platform: "node", format: "esm", target: "node20",
  outfile: out, logLevel: "warning",
});
const { generatedFiles } = await import(pathToFileURL(out).href);
const read = (path) => { try { return readFileSync(join(root, path), "utf8"); } catch { return ""; } };
const stale = [];
for (const [path, content] of generatedFiles(read)) {
  if (read(path) === content) continue;
  stale.push(path);
  if (!check) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
}
if (check && stale.length > 0) {
  console.error(`gen:fields: not what shared/src/policy-fields.ts gives: ${stale.join(", ")} (run npm run gen:fields)`);
  process.exit(1);
}
console.log(stale.length === 0 ? "gen:fields: every file up to date" : `gen:fields: wrote ${stale.join(", ")}`);
