// Locates files of this repository from wherever the code runs (TypeScript source under vitest, or the
// esbuild bundle under build/dev/...): walk up to the package.json named "meshgate".
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export function repoRoot(from: string = dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  for (;;) {
    const pkg = join(dir, "package.json");
    if (existsSync(pkg)) {
      try {
        const parsed: unknown = JSON.parse(readFileSync(pkg, "utf8"));
        if (typeof parsed === "object" && parsed !== null && (parsed as Record<string, unknown>)["name"] === "meshgate") return dir;
      } catch {
        // not ours; keep walking
      }
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find the meshgate repository root above ${from}`);
    dir = parent;
  }
}

/** meshgate's plugin server (built from `kong-plugins/server/src` by `node scripts/build.mjs kong`) run by this Node. */
export function defaultStartCmd(): string[] {
  return [process.execPath, join(repoRoot(), "kong-plugins/server/build/meshgate-pluginserver.cjs")];
}

/** kong-pdk's own `kong-js-pluginserver`, unwrapped (leaks one event per kong.response.exit). */
export function plainStartCmd(): string[] {
  return [process.execPath, join(repoRoot(), "node_modules/kong-pdk/bin/kong-js-pluginserver")];
}
