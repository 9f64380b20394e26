// The local stack behind `npm start`: the reference auth service, the stable and canary echo upstreams, and
// both plane gateways (meshgate in the real kong-js-pluginserver; meshgate.wasm on the proxy-wasm host), each
// a child process on 127.0.0.1, all reading one policy.
import { DECISION_LABELS } from "../../shared/src/metrics";
import { type AccessLine, parseAccessLine, type PlaneName } from "./access-log.js";
import { type ChildExit, StackChild } from "./child.js";
import { decisionJson } from "./decision-lines.js";
import { startEnvoyGateway, startKongGateway } from "./gateways.js";
import { loadPolicyFile, planeSetups, type PolicyDocument } from "./policy.js";
import { stackPaths, requireBuilt } from "./paths.js";
import { assertPortsFree, freePort, portInUseMessage, RANDOM_PORTS, StackConfigError, type StackPorts } from "./ports.js";

export interface StackOptions {
  /** Ports per process; missing ones are 0 (any free port). `npm start` passes 9000/9101/9102/8000/10000. */
  ports?: Partial<StackPorts>;
  /** YAML or JSON policy; default `dev/policy.yaml`. */
  policyFile?: string;
  /** Repository root; found from this file by default. */
  root?: string;
  /** Worker VMs of the Envoy-plane gateway (default 2, like an Istio sidecar). */
  envoyWorkers?: number;
  /** Bound for each process to print its "listening on" line (default 60 s). */
  readyTimeoutMs?: number;
  /** One call per request through either gateway. */
  onAccess?: (line: AccessLine) => void;
  /** One call per decision-log line of either gateway: the core's JSON, the same form on both planes. Given, the
   *  Kong host runs at log_level info (where Kong writes the plugin server's output); otherwise at Kong's default. */
  onDecision?: (plane: PlaneName, json: string) => void;
  /** Whether the gateways print their per-request line at all (default true; benchmarks turn it off). */
  accessLog?: boolean;
  /** Every other output line of every process. */
  onOutput?: (processName: string, line: string, stream: "stdout" | "stderr") => void;
}

export interface StackUrls {
  auth: string;
  stable: string;
  canary: string;
  kong: string;
  envoy: string;
  /** The Kong plane's metrics (the plugin server's endpoint; it listens once the plugin has its first request). */
  kongMetrics: string;
  /** The Envoy plane's metrics on its admin-style listener. */
  envoyMetrics: string;
}

export interface StackProcess {
  name: string;
  pid: number;
}

export interface Stack {
  urls: StackUrls;
  /** The policy both gateways run, with the addresses rewritten to the actual ports. */
  policy: PolicyDocument;
  envoyWorkers: number;
  /** Every process of the stack, the Kong plugin server included. */
  processes(): StackProcess[];
  /** Resolves if a process dies on its own; by then the others have been stopped. */
  failed: Promise<ChildExit>;
  /** SIGTERM every process (SIGKILL after a grace period) and wait until all are gone. Idempotent. */
  stop(): Promise<void>;
  /** SIGKILL every process now. */
  kill(): void;
}

const DEFAULT_READY_TIMEOUT_MS = 60_000;

async function startAll<T>(starts: Array<Promise<T>>, cleanup: (started: T) => Promise<unknown>): Promise<T[]> {
  const results = await Promise.allSettled(starts);
  const failure = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (!failure) return results.map((r) => (r as PromiseFulfilledResult<T>).value);
  await Promise.all(results.map((r) => (r.status === "fulfilled" ? cleanup(r.value) : undefined)));
  throw failure.reason;
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const paths = stackPaths(options.root);
  requireBuilt(paths);
  const ports: StackPorts = { ...RANDOM_PORTS, ...options.ports };
  await assertPortsFree(ports);
  // Another program may still take a port between that check and the child's listen().
  const onPort = <T>(key: keyof StackPorts, start: Promise<T>): Promise<T> => start.catch((err: unknown) => {
    if (ports[key] !== 0 && err instanceof Error && err.message.includes("EADDRINUSE")) throw new StackConfigError(portInUseMessage(key, ports[key]));
    throw err;
  });
  const policyFile = options.policyFile ?? paths.defaultPolicy;
  const source = withPolicyHint(() => loadPolicyFile(policyFile));
  const readyTimeoutMs = options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
  const envoyWorkers = options.envoyWorkers ?? 2;
  const accessLog = options.accessLog ?? true;
  const output = (name: string) => (line: string, stream: "stdout" | "stderr"): void => options.onOutput?.(name, line, stream);

  const [auth, stable, canary] = await startAll([
    onPort("auth", StackChild.start({ name: "auth", script: paths.authService, args: [], env: { AUTH_PORT: String(ports.auth), AUTH_HOST: "127.0.0.1" }, readyTimeoutMs, onLine: output("auth") })),
    onPort("stable", StackChild.start({ name: "stable", script: paths.upstream, args: ["--variant", "stable", "--port", String(ports.stable), "--host", "127.0.0.1"], readyTimeoutMs, onLine: output("stable") })),
    onPort("canary", StackChild.start({ name: "canary", script: paths.upstream, args: ["--variant", "canary", "--port", String(ports.canary), "--host", "127.0.0.1"], readyTimeoutMs, onLine: output("canary") })),
  ], (c) => c.stop());
  const backends = [auth!, stable!, canary!];
  const setups = planeSetups(source, { auth: auth!.url, stable: stable!.url, canary: canary!.url });

  const variantOf = variantMapper(stable!.url, canary!.url, Object.keys(setups.kong.upstreams));
  const gatewayLine = (plane: PlaneName) => (line: string, stream: "stdout" | "stderr"): void => {
    const access = stream === "stdout" ? parseAccessLine(line, plane, variantOf) : null;
    if (access) {
      options.onAccess?.(access);
      return;
    }
    const decision = decisionJson(line, plane);
    if (decision !== null) options.onDecision?.(plane, decision);
    else options.onOutput?.(plane, line, stream);
  };
  // The plugin server's endpoint takes a port 1..65535, never "any": pick a free one for it.
  const kongMetricsPort = ports.kongMetrics !== 0 ? ports.kongMetrics : await freePort();

  let gateways: StackChild[];
  let pluginServerPid: number | null = null;
  try {
    gateways = await startAll<StackChild>([
      onPort("kong", startKongGateway({
        name: "kong", script: paths.kongHost, pluginsDir: paths.kongPluginsDir, config: setups.kong.config,
        serviceUrl: setups.kong.serviceUrl, upstreams: setups.kong.upstreams, port: ports.kong, accessLog,
        // Kong writes the plugin server's output (decision logs) at INFO; without a reader for them, Kong's default.
        metricsPort: kongMetricsPort, logLevel: options.onDecision ? "info" : undefined, readyTimeoutMs, onLine: gatewayLine("kong"),
      }).then((kong) => {
        pluginServerPid = kong.pluginServerPid;
        return kong.child;
      })),
      onPort("envoy", startEnvoyGateway({
        name: "envoy", script: paths.envoyHost, wasm: paths.meshgateWasm, pluginConfig: setups.envoy.pluginConfig,
        clusters: setups.envoy.clusters, routes: setups.envoy.routes, workers: envoyWorkers, port: ports.envoy,
        adminPort: ports.envoyAdmin, statsTags: DECISION_LABELS, accessLog, readyTimeoutMs, onLine: gatewayLine("envoy"),
      })),
    ], (c) => c.stop());
  } catch (err) {
    await Promise.all(backends.map((c) => c.stop()));
    // The gateways check the policy with the core's parser: a refusal shows in their last lines.
    if (err instanceof Error && !(err instanceof StackConfigError)) {
      err.message += `\nIf those lines reject the policy: fix ${policyFile}, or point ${POLICY_VARIABLE} at another policy file.`;
    }
    throw err;
  }
  const [kong, envoy] = gateways;
  // Gateways first, so no request reaches a backend that is already gone.
  const all = [kong!, envoy!, ...backends];

  let stopping: Promise<void> | null = null;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      const [kongExit] = await Promise.all([kong!, envoy!].map((c) => c.stop()));
      // A Kong host that had to be killed could not stop its plugin server; that one is ours to end too.
      if (kongExit?.signal === "SIGKILL" && pluginServerPid !== null) killQuietly(pluginServerPid);
      await Promise.all(backends.map((c) => c.stop()));
    })();
    return stopping;
  };
  const kill = (): void => {
    for (const c of all) c.kill();
  };
  const failed = new Promise<ChildExit>((resolve) => {
    for (const child of all) {
      void child.exited().then(async (exit) => {
        if (stopping) return;
        await stop();
        resolve(exit);
      });
    }
  });

  return {
    urls: {
      auth: auth!.url, stable: stable!.url, canary: canary!.url, kong: kong!.url, envoy: envoy!.url,
      kongMetrics: `http://127.0.0.1:${kongMetricsPort}/metrics`, envoyMetrics: envoyAdminUrl(envoy!),
    },
    policy: setups.policy,
    envoyWorkers,
    processes: () => {
      const list = all.map((c) => ({ name: c.name, pid: c.pid }));
      if (pluginServerPid !== null) list.push({ name: "kong-pluginserver", pid: pluginServerPid });
      return list;
    },
    failed,
    stop,
    kill,
  };
}

/** The variable `npm start` reads the policy file from. */
export const POLICY_VARIABLE = "MESHGATE_POLICY";

function withPolicyHint<T>(read: () => T): T {
  try {
    return read();
  } catch (err) {
    if (err instanceof StackConfigError) throw new StackConfigError(`${err.message} (the policy file is set by ${POLICY_VARIABLE})`);
    throw err;
  }
}

const ENVOY_ADMIN_LINE = /envoy-host admin on (\S+)/;

function envoyAdminUrl(envoy: StackChild): string {
  const match = envoy.lastOutput().map((l) => ENVOY_ADMIN_LINE.exec(l)).find((m) => m !== null);
  return match ? match[1]! : "";
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // already gone
  }
}

function variantMapper(stableUrl: string, canaryUrl: string, canaryUpstreams: string[]): (upstream: string) => string {
  const stableOrigin = new URL(stableUrl).origin;
  const canaryOrigin = new URL(canaryUrl).origin;
  return (upstream) => {
    if (upstream === "stable" || upstream === stableOrigin) return "stable";
    if (upstream === "canary" || upstream === canaryOrigin || canaryUpstreams.includes(upstream)) return "canary";
    return upstream;
  };
}
