// Kong ≥ 3.9 reads plugin info by running `query_cmd` (here: `<startCmd> --plugins-directory <dir>
// --dump-all-plugins`), parsing ALL of stdout as JSON and registering only the first entry
// (`kong/runloop/plugin_servers/process.lua`). Anything else on stdout (a WARN line from a plugin that failed
// to load) makes the decode fail, as it does in Kong.
import { execFile } from "node:child_process";

export interface PluginInfo {
  Name: string;
  Priority: number;
  Version: string;
  Phases: string[];
  Schema: unknown;
}

export async function dumpPluginInfo(startCmd: string[], pluginsDir: string, env?: NodeJS.ProcessEnv): Promise<PluginInfo> {
  const [command, ...leading] = startCmd;
  if (!command) throw new Error("startCmd is empty");
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(
      command,
      [...leading, "--plugins-directory", pluginsDir, "--dump-all-plugins"],
      { env: env ?? process.env, timeout: 30_000, maxBuffer: 16 * 1024 * 1024 },
      (err, out, errOut) => {
        if (err) reject(new Error(`plugin info query failed (${command}): ${err.message}${errOut ? `\n${errOut}` : ""}`));
        else resolve(out);
      },
    );
  });
  return parsePluginDump(stdout);
}

export function parsePluginDump(stdout: string): PluginInfo {
  let dump: unknown;
  try {
    dump = JSON.parse(stdout);
  } catch (err) {
    throw new Error(`failed decoding plugin info: ${(err as Error).message}; output was:\n${stdout.slice(0, 2000)}`);
  }
  const list = isRecord(dump) && Array.isArray(dump["Plugins"]) ? dump["Plugins"] : dump;
  if (!Array.isArray(list)) throw new Error(`not a plugin info table:\n${stdout.slice(0, 2000)}`);
  const first: unknown = list[0];
  if (!isRecord(first)) throw new Error("the plugin server dumped no plugin (is the plugin CommonJS, and does it export Plugin?)");
  const { Name, Priority, Version, Phases, Schema } = first;
  if (typeof Name !== "string" || Name === "") throw new Error("plugin info has no Name");
  return {
    Name,
    Priority: typeof Priority === "number" ? Priority : 0,
    Version: typeof Version === "string" ? Version : String(Version ?? ""),
    Phases: Array.isArray(Phases) ? Phases.filter((p): p is string => typeof p === "string") : [],
    Schema,
  };
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
