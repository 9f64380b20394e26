// Command-line and JSON-file options of `main.ts` (documented in README.md).

import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { LOG_LEVELS, type LogLevelName } from "./abi.js";
import type { EnvoyHostOptions, RouteRule } from "./host.js";

export interface CliOptions {
  host: EnvoyHostOptions;
  port: number;
  bind: string;
  /** Print one access-log line per request on stdout. */
  accessLog: boolean;
  /** Port of the admin-style /stats/prometheus listener; undefined = none. */
  adminPort?: number;
}

export class CliError extends Error {}

export const USAGE = `usage: main.mjs --wasm FILE (--config FILE | --config-text JSON) --cluster NAME=URL... [options]
  --options FILE          JSON file with any of the options below (camelCase keys; also env ENVOY_HOST_OPTIONS)
  --wasm FILE             the proxy-wasm module
  --config FILE           plugin configuration (text given to proxy_on_configure)
  --config-text TEXT      plugin configuration inline
  --vm-config FILE        VM configuration text
  --root-id ID            Envoy root_id (default meshgate)     --plugin-name NAME   (default: root id)
  --vm-id ID              shared-data namespace (default "")
  --workers N             worker VMs (default 2)               --fail-open          pass through when the VM failed
  --log-level LEVEL       trace|debug|info|warn|error|critical (default info)
  --cluster NAME=URL      a cluster (repeatable); URL "" = no healthy host
  --route MATCH=CLUSTER   route rule (repeatable, first match wins); MATCH is "*" or header:value[,header:value]
  --stream-timeout-ms N   504 when a stream is not answered in time (default 15000)
  --worker-header NAME    request header that pins a worker index
  --port N                listen port (default 10000; 0 = random)   --host ADDR (default 127.0.0.1)
  --access-log            one stdout line per request: access METHOD PATH STATUS CLUSTER|- MSms
  --admin-port N          admin-style listener with GET /stats/prometheus (0 = random; default none)
  --stats-tag NAME        a tag Envoy's stats_tags extract from metric names, Istio's encoding (repeatable)`;

function parseRoute(spec: string): RouteRule {
  const eq = spec.lastIndexOf("=");
  if (eq <= 0 || eq === spec.length - 1) throw new CliError(`--route '${spec}': expected MATCH=CLUSTER`);
  const match = spec.slice(0, eq);
  const cluster = spec.slice(eq + 1);
  if (match === "*") return { cluster };
  const headers: Record<string, { exact: string }> = {};
  for (const cond of match.split(",")) {
    const colon = cond.indexOf(":");
    if (colon <= 0) throw new CliError(`--route '${spec}': condition '${cond}' must be header:value`);
    headers[cond.slice(0, colon).toLowerCase()] = { exact: cond.slice(colon + 1) };
  }
  return { match: { headers }, cluster };
}

function readText(path: string, what: string): string {
  try { return readFileSync(path, "utf8"); } catch (err) {
    throw new CliError(`cannot read ${what} '${path}': ${err instanceof Error ? err.message : String(err)}`);
  }
}

function fromJsonFile(path: string): Partial<EnvoyHostOptions> & { port?: number; host?: string } {
  let parsed: unknown;
  try { parsed = JSON.parse(readText(path, "options file")); } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(`options file '${path}' is not JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new CliError(`options file '${path}' must hold an object`);
  const o = parsed as Partial<EnvoyHostOptions> & { port?: number; host?: string; pluginConfigFile?: string };
  const base = dirname(resolve(path));
  if (typeof o.wasm === "string") o.wasm = resolve(base, o.wasm);
  if (typeof o.pluginConfig === "object" && o.pluginConfig !== null) o.pluginConfig = JSON.stringify(o.pluginConfig);
  if (typeof o.pluginConfigFile === "string") o.pluginConfig = readText(resolve(base, o.pluginConfigFile), "plugin config");
  return o;
}

function intArg(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new CliError(`${flag} must be a non-negative integer, got '${value}'`);
  return n;
}

export function parseCli(argv: string[], env: NodeJS.ProcessEnv): CliOptions {
  let file: ReturnType<typeof fromJsonFile> = {};
  const optionsPath = env.ENVOY_HOST_OPTIONS;
  if (optionsPath) file = fromJsonFile(optionsPath);
  const o: Partial<EnvoyHostOptions> = {};
  const clusters: Record<string, string> = {};
  const routes: RouteRule[] = [];
  let port: number | undefined;
  let bind: string | undefined;
  let accessLog = false;
  let adminPort: number | undefined;
  const statsTags: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i] ?? "";
    const next = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new CliError(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case "--options": file = { ...file, ...fromJsonFile(next()) }; break;
      case "--wasm": o.wasm = next(); break;
      case "--config": o.pluginConfig = readText(next(), "plugin config"); break;
      case "--config-text": o.pluginConfig = next(); break;
      case "--vm-config": o.vmConfig = readText(next(), "vm config"); break;
      case "--root-id": o.rootId = next(); break;
      case "--plugin-name": o.pluginName = next(); break;
      case "--vm-id": o.vmId = next(); break;
      case "--workers": o.workers = intArg(flag, next()); break;
      case "--fail-open": o.failOpen = true; break;
      case "--log-level": {
        const level = next();
        if (!(LOG_LEVELS as readonly string[]).includes(level)) throw new CliError(`--log-level must be one of ${LOG_LEVELS.join("|")}`);
        o.logLevel = level as LogLevelName;
        break;
      }
      case "--cluster": {
        const spec = next();
        const eq = spec.indexOf("=");
        if (eq <= 0) throw new CliError(`--cluster '${spec}': expected NAME=URL`);
        clusters[spec.slice(0, eq)] = spec.slice(eq + 1);
        break;
      }
      case "--route": routes.push(parseRoute(next())); break;
      case "--stream-timeout-ms": o.streamTimeoutMs = intArg(flag, next()); break;
      case "--worker-header": o.workerHeader = next(); break;
      case "--port": port = intArg(flag, next()); break;
      case "--host": bind = next(); break;
      case "--access-log": accessLog = true; break;
      case "--admin-port": adminPort = intArg(flag, next()); break;
      case "--stats-tag": {
        const tag = next();
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(tag)) throw new CliError(`--stats-tag must be a Prometheus label name, got '${tag}'`);
        statsTags.push(tag);
        break;
      }
      case "-h": case "--help": throw new CliError(USAGE);
      default: throw new CliError(`unknown option '${flag}'\n${USAGE}`);
    }
  }
  const merged: Partial<EnvoyHostOptions> = { ...file, ...o };
  merged.clusters = { ...(file.clusters ?? {}), ...clusters };
  if (routes.length) merged.routes = routes;
  if (statsTags.length) merged.statsTags = statsTags;
  if (merged.wasm === undefined) throw new CliError(`--wasm is required\n${USAGE}`);
  if (merged.pluginConfig === undefined) throw new CliError(`--config or --config-text is required\n${USAGE}`);
  return {
    host: { ...merged, wasm: merged.wasm, pluginConfig: merged.pluginConfig, clusters: merged.clusters },
    port: port ?? file.port ?? 10000,
    bind: bind ?? file.host ?? "127.0.0.1",
    accessLog,
    adminPort,
  };
}
