// Where the stack finds what it runs: the built process entry points and the two plane artifacts.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "../hosts/kong/repo-paths.js";
import { StackConfigError } from "./ports.js";

export interface StackPaths {
  root: string;
  authService: string;
  upstream: string;
  kongHost: string;
  envoyHost: string;
  /** The preload that ends a stack process when its parent is gone (dev/stack/exit-with-parent.ts). */
  exitWithParent: string;
  kongPluginsDir: string;
  meshgateWasm: string;
  defaultPolicy: string;
}

export function stackPaths(root: string = repoRoot()): StackPaths {
  return {
    root,
    authService: join(root, "build/dev/auth-service/main.mjs"),
    upstream: join(root, "build/dev/upstream/main.mjs"),
    kongHost: join(root, "build/dev/hosts/kong/main.mjs"),
    envoyHost: join(root, "build/dev/hosts/envoy/main.mjs"),
    exitWithParent: join(root, "build/dev/stack/exit-with-parent.mjs"),
    kongPluginsDir: join(root, "kong-plugins/build"),
    meshgateWasm: join(root, "envoy-wasm/build/meshgate.wasm"),
    defaultPolicy: join(root, "dev/policy.yaml"),
  };
}

/** Throws one error naming every missing artifact and the command that builds them. */
export function requireBuilt(paths: StackPaths): void {
  const needed = [paths.authService, paths.upstream, paths.kongHost, paths.envoyHost, paths.exitWithParent, paths.kongPluginsDir, paths.meshgateWasm];
  const missing = needed.filter((p) => !existsSync(p));
  if (missing.length > 0) {
    throw new StackConfigError(`not built yet: ${missing.map((p) => p.slice(paths.root.length + 1)).join(", ")} — run \`node scripts/build.mjs dev kong wasm\` (npm start does)`);
  }
}
