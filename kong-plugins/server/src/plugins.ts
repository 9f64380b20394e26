// Loads the plugin modules of --plugins-directory the way kong-pdk's server does (server.js loadPlugins,
// lib/mod.js): every entry, dot files and node_modules aside, resolved with require.resolve; extensions .js,
// .cjs, .node or none (.ts when ts-node can be found); the module's Plugin class, Name (lowercased; default the
// file's basename), Version, Priority (default 0) and Schema (default []); phases = the handler methods its
// prototype has. A module that fails to load is skipped with a warning, as in kong-pdk — also one that cannot be
// resolved (kong-pdk crashed on those: Kong/kong-js-pdk#151).
import { readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { join, parse, resolve } from "node:path";
import type { ServerLog } from "./log";

export const PHASES = ["certificate", "rewrite", "log", "access", "preread", "response"] as const;
export type Phase = (typeof PHASES)[number];

export type PluginInstanceObject = Partial<Record<string, unknown>>;
export type PluginClass = new (config: Record<string, unknown>) => PluginInstanceObject;

export interface PluginModule {
  name: string;
  path: string;
  cls: PluginClass;
  phases: Phase[];
  priority: number;
  version: unknown;
  schema: unknown;
}

/** What Kong reads from the query command (kong-pdk server.js GetPluginInfo). */
export interface PluginInfo {
  Name: string;
  Version: unknown;
  Phases: Phase[];
  Priority: number;
  Schema: { name: string; fields: [{ config: { type: "record"; fields: unknown } }] };
}

const VALID_EXTENSIONS = new Set([".js", ".ts", ".node", ".cjs", ""]);

export function loadPlugins(pluginsDir: string, log: ServerLog): Map<string, PluginModule> {
  const dir = resolve(pluginsDir);
  const load = createRequire(join(dir, "/"));
  const plugins = new Map<string, PluginModule>();
  for (const file of readdirSync(dir)) {
    if (file.startsWith(".") || /node_modules/.test(file)) continue;
    let filePath: string;
    try {
      filePath = load.resolve(join(dir, file));
    } catch (err) {
      log.warn(`cannot resolve plugin "${file}" in ${dir}: ${errorText(err)}`);
      continue;
    }
    const { name, ext } = parse(filePath);
    if (!name || !VALID_EXTENSIONS.has(ext)) continue;
    const loaded = plugins.get(name);
    if (loaded) {
      log.warn(`plugin "${name}" is already loaded from ${loaded.path}, trying to load from ${filePath}`);
      continue;
    }
    try {
      if (ext === ".ts") registerTypeScript(load);
      const mod = pluginModule(name, filePath, load(filePath) as Record<string, unknown>);
      plugins.set(mod.name, mod);
      log.debug(`loaded plugin "${mod.name}" from ${filePath}`);
    } catch (err) {
      log.warn(`error loading plugin "${name}" from ${filePath}: ${err instanceof Error ? err.stack : String(err)}`);
    }
  }
  return plugins;
}

function pluginModule(fileName: string, path: string, mod: Record<string, unknown>): PluginModule {
  const cls = mod["Plugin"];
  if (typeof cls !== "function") throw new TypeError(`${path} exports no Plugin class`);
  const proto = (cls as { prototype?: Record<string, unknown> }).prototype ?? {};
  return {
    name: String(mod["Name"] || fileName).toLowerCase(),
    path,
    cls: cls as PluginClass,
    phases: PHASES.filter((phase) => typeof proto[phase] === "function"),
    priority: (mod["Priority"] as number | undefined) || 0,
    version: mod["Version"],
    schema: mod["Schema"] || [],
  };
}

export function pluginInfo(plugin: PluginModule): PluginInfo {
  return {
    Name: plugin.name,
    Version: plugin.version,
    Phases: plugin.phases,
    Priority: plugin.priority,
    Schema: { name: plugin.name, fields: [{ config: { type: "record", fields: plugin.schema } }] },
  };
}

let typeScriptRegistered = false;

/** kong-pdk always registers ts-node; here only when a .ts plugin is found (prefer shipping compiled JS). */
function registerTypeScript(load: NodeJS.Require): void {
  if (typeScriptRegistered) return;
  (load("ts-node") as { register(): void }).register();
  typeScriptRegistered = true;
}

export function errorText(err: unknown): string {
  if (typeof err === "string") return err;
  if (err instanceof Error) return err.message;
  if (typeof err === "object" && err !== null && typeof (err as { message?: unknown }).message === "string") return (err as { message: string }).message;
  return String(err);
}
