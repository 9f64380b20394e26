#!/usr/bin/env node
// Builds, each as one self-contained CommonJS file with its dependencies bundled (an offline Kong image needs
// only node):
//   kong-plugins/build/meshgate.cjs — the plugin (plugin servers load plugins with require, not ESM);
//   kong-plugins/server/build/meshgate-pluginserver.cjs — the plugin server, Kong's start_cmd/query_cmd.
// The server lives outside build/: everything in a plugins directory is loaded as a plugin.
import { build } from "esbuild";
import { chmodSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "build");
const serverOut = join(here, "server/build");
for (const dir of [out, serverOut]) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
}
const common = { bundle: true, platform: "node", format: "cjs", target: "node20", logLevel: "warning", legalComments: "eof" };
await build({
  ...common,
  entryPoints: [join(here, "src/index.ts")],
  outfile: join(out, "meshgate.cjs"),
  inject: [join(here, "../shared/portable-node.ts")],
});
const { version } = JSON.parse(readFileSync(join(here, "../package.json"), "utf8"));
const server = join(serverOut, "meshgate-pluginserver.cjs");
await build({
  ...common,
  entryPoints: [join(here, "server/src/main.ts")],
  outfile: server,
  banner: { js: "#!/usr/bin/env node" },
  define: { MESHGATE_VERSION: JSON.stringify(version) },
});
chmodSync(server, 0o755);
