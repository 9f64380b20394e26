// Command-line / environment options of the Kong-plane gateway process (main.ts). Flags win over env vars.
import { readFileSync } from "node:fs";
import type { KongHostOptions } from "./gateway.js";
import { isKongLogLevel, KONG_LOG_LEVELS } from "./kong-log.js";
import { plainStartCmd } from "./repo-paths.js";

export interface GatewayCliOptions {
  host: KongHostOptions;
  port: number;
  bind: string;
  /** Print one access-log line per request on stdout. */
  accessLog: boolean;
}

export const USAGE = `usage: kong-host --plugins-dir <dir> --service-url <url> [options]
  --plugins-dir <dir>        plugin directory, one plugin (env KONG_HOST_PLUGINS_DIR)
  --service-url <url>        the Service's URL (env KONG_HOST_SERVICE_URL)
  --config <json|@file>      plugin config (env KONG_HOST_CONFIG; default {})
  --upstream <name>=<t1,t2>  an Upstream entity for set_upstream, repeatable (env KONG_HOST_UPSTREAMS as JSON)
  --port <n>                 listen port, 0 = any free port (env KONG_HOST_PORT; default 8000)
  --bind <addr>              listen address (env KONG_HOST_BIND; default 127.0.0.1)
  --trusted-ips <a,b>        peers whose X-Real-IP is trusted (env KONG_HOST_TRUSTED_IPS)
  --start-cmd "<cmd args>"   plugin server command (env KONG_HOST_START_CMD; default: meshgate-pluginserver)
  --plain-server             use kong-pdk's unwrapped kong-js-pluginserver (leaks on exit; for comparison)
  --prefix <dir>             socket directory (env KONG_HOST_PREFIX; default: a temp dir)
  --log-level <level>        Kong's log_level: debug|info|notice|warn|err|crit|alert|emerg (env KONG_HOST_LOG_LEVEL; default notice)
  --verbose                  echo Kong's log to stderr (env KONG_HOST_VERBOSE=1)
  --access-log               one stdout line per request: access METHOD PATH STATUS UPSTREAM|- MSms (env KONG_HOST_ACCESS_LOG=1)`;

export class CliError extends Error {
  override readonly name = "CliError";
}

function parseJsonObject(text: string, what: string): Record<string, unknown> {
  const source = text.startsWith("@") ? readFileSync(text.slice(1), "utf8") : text;
  let parsed: unknown;
  try {
    parsed = JSON.parse(source);
  } catch (err) {
    throw new CliError(`${what} is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new CliError(`${what} must be a JSON object`);
  return parsed as Record<string, unknown>;
}

function parseUpstreams(json: string): Record<string, string[]> {
  const parsed = parseJsonObject(json, "KONG_HOST_UPSTREAMS");
  const out: Record<string, string[]> = {};
  for (const [name, targets] of Object.entries(parsed)) {
    if (!Array.isArray(targets) || !targets.every((t) => typeof t === "string")) throw new CliError(`upstream '${name}' must be an array of target strings`);
    out[name] = targets as string[];
  }
  return out;
}

export function parseCliOptions(argv: string[], env: NodeJS.ProcessEnv): GatewayCliOptions {
  const flags = new Map<string, string>();
  const upstreams: Record<string, string[]> = env["KONG_HOST_UPSTREAMS"] ? parseUpstreams(env["KONG_HOST_UPSTREAMS"]) : {};
  let verbose = env["KONG_HOST_VERBOSE"] === "1";
  let plain = false;
  let accessLog = env["KONG_HOST_ACCESS_LOG"] === "1";
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i]!;
    if (arg === "--verbose") verbose = true;
    else if (arg === "--plain-server") plain = true;
    else if (arg === "--access-log") accessLog = true;
    else if (arg === "--help" || arg === "-h") throw new CliError(USAGE);
    else if (arg.startsWith("--")) {
      const value = argv[i + 1];
      if (value === undefined) throw new CliError(`${arg} needs a value`);
      i += 1;
      if (arg === "--upstream") {
        const eq = value.indexOf("=");
        if (eq <= 0) throw new CliError(`--upstream expects <name>=<target,target>, got '${value}'`);
        upstreams[value.slice(0, eq)] = value.slice(eq + 1).split(",").filter((t) => t !== "");
      } else flags.set(arg.slice(2), value);
    } else throw new CliError(`unexpected argument '${arg}'\n${USAGE}`);
  }
  const known = new Set(["plugins-dir", "service-url", "config", "port", "bind", "trusted-ips", "start-cmd", "prefix", "log-level"]);
  for (const name of flags.keys()) if (!known.has(name)) throw new CliError(`unknown option --${name}\n${USAGE}`);
  const get = (flag: string, envName: string): string | undefined => flags.get(flag) ?? env[envName];
  const pluginsDir = get("plugins-dir", "KONG_HOST_PLUGINS_DIR");
  const serviceUrl = get("service-url", "KONG_HOST_SERVICE_URL");
  if (!pluginsDir) throw new CliError(`--plugins-dir is required\n${USAGE}`);
  if (!serviceUrl) throw new CliError(`--service-url is required\n${USAGE}`);
  const portText = get("port", "KONG_HOST_PORT") ?? "8000";
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CliError(`--port must be an integer 0-65535, got '${portText}'`);
  const startCmdText = get("start-cmd", "KONG_HOST_START_CMD");
  const trusted = get("trusted-ips", "KONG_HOST_TRUSTED_IPS");
  const prefix = get("prefix", "KONG_HOST_PREFIX");
  const host: KongHostOptions = {
    pluginsDir,
    serviceUrl,
    config: parseJsonObject(get("config", "KONG_HOST_CONFIG") ?? "{}", "--config"),
    upstreams,
    verbose,
  };
  if (plain) host.startCmd = plainStartCmd();
  else if (startCmdText) host.startCmd = startCmdText.split(/\s+/).filter((p) => p !== "");
  if (trusted) host.trustedIps = trusted.split(",").map((s) => s.trim()).filter((s) => s !== "");
  if (prefix) host.prefix = prefix;
  const logLevel = get("log-level", "KONG_HOST_LOG_LEVEL");
  if (logLevel !== undefined) {
    if (!isKongLogLevel(logLevel)) throw new CliError(`--log-level must be one of ${KONG_LOG_LEVELS.join(", ")}, got '${logLevel}'`);
    host.logLevel = logLevel;
  }
  return { host, port, bind: get("bind", "KONG_HOST_BIND") ?? "127.0.0.1", accessLog };
}
