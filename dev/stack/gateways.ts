// Starting the two plane gateways as processes, the way the stack does (the benchmark starts its
// empty-plugin gateways through the same functions).
import { StackChild } from "./child.js";

export interface GatewayCommon {
  /** Process name in logs, e.g. "kong" or "kong-empty". */
  name: string;
  /** The built host entry point (`build/dev/hosts/<plane>/main.mjs`). */
  script: string;
  port: number;
  accessLog: boolean;
  readyTimeoutMs: number;
  onLine?: (line: string, stream: "stdout" | "stderr") => void;
}

export interface KongGatewaySpec extends GatewayCommon {
  /** The plugin server's metrics port (MESHGATE_METRICS_PORT); undefined = metrics off. */
  metricsPort?: number;
  /** Kong's log_level, echoed on the gateway's stderr when given: `info` shows the plugin server's output, the
   *  decision logs included (Kong logs it at INFO). */
  logLevel?: string;
  pluginsDir: string;
  config: Record<string, unknown>;
  serviceUrl: string;
  upstreams?: Record<string, string[]>;
}

export interface EnvoyGatewaySpec extends GatewayCommon {
  wasm: string;
  pluginConfig: string;
  clusters: Record<string, string>;
  routes: string[];
  workers: number;
  /** Admin-style /stats/prometheus listener port (0 = any); undefined = none. */
  adminPort?: number;
  /** Tags Envoy's stats_tags extract from meshgate's metric names (as istio-manifests/ configures them). */
  statsTags?: readonly string[];
}

export interface KongGateway {
  child: StackChild;
  /** The kong-js-pluginserver process the gateway spawned (a grandchild of the stack). */
  pluginServerPid: number | null;
}

const PLUGIN_SERVER_PID = /plugin server pid (\d+)/;

export async function startKongGateway(spec: KongGatewaySpec): Promise<KongGateway> {
  const args = [
    "--plugins-dir", spec.pluginsDir,
    "--service-url", spec.serviceUrl,
    "--config", JSON.stringify(spec.config),
    "--port", String(spec.port),
    "--bind", "127.0.0.1",
  ];
  for (const [name, targets] of Object.entries(spec.upstreams ?? {})) args.push("--upstream", `${name}=${targets.join(",")}`);
  if (spec.accessLog) args.push("--access-log");
  if (spec.logLevel !== undefined) args.push("--log-level", spec.logLevel, "--verbose");
  const env = spec.metricsPort !== undefined ? { MESHGATE_METRICS_PORT: String(spec.metricsPort), MESHGATE_METRICS_HOST: "127.0.0.1" } : undefined;
  const child = await StackChild.start({ name: spec.name, script: spec.script, args, env, readyTimeoutMs: spec.readyTimeoutMs, onLine: spec.onLine });
  const pidLine = child.lastOutput().map((l) => PLUGIN_SERVER_PID.exec(l)).find((m) => m !== null);
  return { child, pluginServerPid: pidLine ? Number(pidLine[1]) : null };
}

export async function startEnvoyGateway(spec: EnvoyGatewaySpec): Promise<StackChild> {
  const args = [
    "--wasm", spec.wasm,
    "--config-text", spec.pluginConfig,
    "--workers", String(spec.workers),
    "--port", String(spec.port),
    "--host", "127.0.0.1",
  ];
  for (const [name, url] of Object.entries(spec.clusters)) args.push("--cluster", `${name}=${url}`);
  for (const route of spec.routes) args.push("--route", route);
  if (spec.accessLog) args.push("--access-log");
  if (spec.adminPort !== undefined) args.push("--admin-port", String(spec.adminPort));
  for (const tag of spec.statsTags ?? []) args.push("--stats-tag", tag);
  return StackChild.start({ name: spec.name, script: spec.script, args, readyTimeoutMs: spec.readyTimeoutMs, onLine: spec.onLine });
}
