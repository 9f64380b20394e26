// The command line of kong-pdk's `kong-js-pluginserver` (its cli.js), which Kong's start_cmd and query_cmd use:
// the same flags, spellings and defaults.
import type { LogLevel } from "./log";

export interface ServerOptions {
  kongPrefix: string;
  sockName: string;
  pluginsDirectory: string;
  /** --dump-plugin-info <name>: that plugin's info as MessagePack on stdout. */
  dumpPluginInfo: string | null;
  /** --dump-all-plugins: every plugin's info as a JSON array on stdout (what Kong's query_cmd reads). */
  dumpAllPlugins: boolean;
  logLevel: LogLevel;
}

export const USAGE = `usage: meshgate-pluginserver -d <plugins-directory> [-p <kong-prefix>] [--sock-name <name>] [-v]
                             [--dump-all-plugins | --dump-plugin-info <name>]`;

export class UsageError extends Error {
  override readonly name = "UsageError";
}

const VALUE_FLAGS: Record<string, "kongPrefix" | "sockName" | "pluginsDirectory" | "dumpPluginInfo"> = {
  "-p": "kongPrefix", "--kong-prefix": "kongPrefix", "-kong-prefix": "kongPrefix",
  "--sock-name": "sockName",
  "-d": "pluginsDirectory", "--plugins-directory": "pluginsDirectory", "-plugins-directory": "pluginsDirectory",
  "--dump-plugin-info": "dumpPluginInfo", "-dump-plugin-info": "dumpPluginInfo",
};

export function parseArgs(argv: string[]): ServerOptions | "version" {
  const values: Partial<Record<"kongPrefix" | "sockName" | "pluginsDirectory" | "dumpPluginInfo", string>> = {};
  let verbose = 0;
  let dumpAllPlugins = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.startsWith("-") ? arg.indexOf("=") : -1;
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const key = VALUE_FLAGS[flag];
    if (key) {
      const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
      if (value === undefined) throw new UsageError(`option '${flag}' argument missing`);
      values[key] = value;
    } else if (flag === "--dump-all-plugins" || flag === "-dump-all-plugins") {
      dumpAllPlugins = true;
    } else if (/^-v+$/.test(flag)) {
      verbose += flag.length - 1;
    } else if (flag === "--verbose") {
      verbose += 1;
    } else if (flag === "--version") {
      return "version";
    } else {
      throw new UsageError(`unknown option '${arg}'`);
    }
  }
  if (values.pluginsDirectory === undefined) throw new UsageError("required option '-d, --plugins-directory <dir>' not specified");
  return {
    kongPrefix: values.kongPrefix ?? "/usr/local/kong",
    sockName: values.sockName ?? "js_pluginserver.sock",
    pluginsDirectory: values.pluginsDirectory,
    dumpPluginInfo: values.dumpPluginInfo ?? null,
    dumpAllPlugins,
    logLevel: verbose > 1 ? "debug" : "info",
  };
}
