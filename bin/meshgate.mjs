#!/usr/bin/env node
// `npx meshgate …`: validate a policy and render it for Kong and Istio. Built by `npm run build`.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const cli = fileURLToPath(new URL("../build/cli/meshgate.mjs", import.meta.url));
if (!existsSync(cli)) {
  console.error("meshgate: the CLI is not built yet; run `npm run build` first");
  process.exit(2);
}
await import(cli);
