#!/usr/bin/env node
// Builds kong-plugins/build/meshgate.cjs: one self-contained CommonJS file (kong-pdk loads plugins
// with require, not ESM), dependencies bundled so an offline Kong image needs only node + kong-pdk.
import { build } from "esbuild";
import { rmSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "build");
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
await build({
  entryPoints: [join(here, "src/index.ts")],
  outfile: join(out, "meshgate.cjs"),
  bundle: true, platform: "node", format: "cjs", target: "node20",
  inject: [join(here, "../shared/portable-node.ts")],
  logLevel: "warning", legalComments: "eof",
});
