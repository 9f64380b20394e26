// Runs meshgate on either plane through its dev host — the Kong plugin in the real kong-js-pluginserver,
// the built meshgate.wasm on the proxy-wasm host — in front of the reference auth service and two echo
// upstreams, so one behaviour test can be run against both planes.
import { join } from "node:path";
import { createAuthService, type AuthService } from "../../dev/auth-service/index.js";
import { createEchoUpstream } from "../../dev/upstream/index.js";
import { ManualClock } from "../../dev/hosts/envoy/clock.js";
import { EnvoyHost } from "../../dev/hosts/envoy/host.js";
import { KongHost } from "../../dev/hosts/kong/gateway.js";
import { PluginServerClock } from "../../dev/hosts/kong/plugin-clock.js";
import type { KongLogLevelName } from "../../dev/hosts/kong/kong-log.js";
import { DECISION_LABELS } from "../../shared/src/metrics";

export type PlaneName = "kong" | "envoy";
export const PLANES: PlaneName[] = ["kong", "envoy"];

const root = join(import.meta.dirname, "../..");
export const KONG_PLUGINS_DIR = join(root, "kong-plugins/build");
export const MESHGATE_WASM = join(root, "envoy-wasm/build/meshgate.wasm");

export interface Backends {
  auth: AuthService;
  authUrl: string;
  stableUrl: string;
  canaryUrl: string;
  canaryPort: number;
  token(sub: string, groups?: string[], ttlSeconds?: number): Promise<string>;
  close(): Promise<void>;
}

export async function startBackends(): Promise<Backends> {
  const auth = await createAuthService();
  const authServer = await auth.listen(0);
  const stable = await createEchoUpstream("stable").listen(0);
  const canary = await createEchoUpstream("canary").listen(0);
  return {
    auth,
    authUrl: authServer.url,
    stableUrl: stable.url,
    canaryUrl: canary.url,
    canaryPort: canary.port,
    token: async (sub, groups = [], ttlSeconds = 300) => (await auth.issueToken({ sub, groups, ttlSeconds })).access_token,
    close: async () => {
      await Promise.all([authServer.close(), stable.close(), canary.close()]);
    },
  };
}

type Doc = Record<string, unknown>;

/** A test's auth-call deadline unless it sets its own: the policy default (200 ms) is a real-time deadline that a
 *  busy 2-core machine misses (a plain allow became a 503 at load 11). Tests of the timeout set `timeoutMs`. */
export const TEST_AUTH_TIMEOUT_MS = 10_000;

/** A policy with both planes' auth-service addresses filled in, plus the given sections. */
export function policyFor(backends: Backends, sections: { auth?: Doc; canary?: Doc; rateLimit?: Doc } = {}): Doc {
  const { auth = {}, canary, rateLimit } = sections;
  const policy: Doc = {
    auth: {
      service: { url: `${backends.authUrl}/introspect`, cluster: "auth-service", authority: "auth.local", path: "/introspect" },
      timeoutMs: TEST_AUTH_TIMEOUT_MS,
      ...auth,
    },
  };
  if (canary) policy.canary = { kong: { target: `127.0.0.1:${backends.canaryPort}` }, ...canary };
  if (rateLimit) policy.rateLimit = rateLimit;
  return policy;
}

export interface PlaneResponse {
  status: number;
  headers: Record<string, string | string[]>;
  body: string;
  /** Which echo upstream answered, or null for a local reply. */
  variant: "stable" | "canary" | null;
  /** Request headers as the upstream saw them (lowercase), or null for a local reply. */
  upstreamHeaders: Record<string, string> | null;
}

export interface PlaneRequest {
  method?: string;
  path?: string;
  headers?: Record<string, string | string[]>;
  clientIp?: string;
  /** Envoy plane: the worker VM to run on. */
  worker?: number;
}

export interface Plane {
  name: PlaneName;
  request(r?: PlaneRequest): Promise<PlaneResponse>;
  /** With `manualClock`: moves the plugin's wall clock forward (cache lifetimes, cool-downs, ticks). */
  advanceClock(ms: number): void;
  close(): Promise<void>;
  kong?: KongHost;
  envoy?: EnvoyHost;
}

export interface PlaneOptions {
  workers?: number;
  /** Kong plane: extra environment for the plugin server (e.g. MESHGATE_BREAKER_*). */
  serverEnv?: NodeJS.ProcessEnv;
  /** The plugin reads a clock that only `advanceClock` moves, instead of the system clock. */
  manualClock?: boolean;
  /** Kong plane: Kong's log_level (default notice; `info` shows the plugin server's output, decision logs included). */
  kongLogLevel?: KongLogLevelName;
  /** Envoy plane: more clusters (name → base URL) besides auth-service, stable and canary. */
  clusters?: Record<string, string>;
}

export function noManualClock(): never {
  throw new Error("advanceClock needs a plane started with manualClock: true");
}

export async function startPlane(name: PlaneName, backends: Backends, policy: Doc, options: PlaneOptions = {}): Promise<Plane> {
  if (name === "kong") {
    const clock = options.manualClock ? new PluginServerClock() : undefined;
    let kong: KongHost;
    try {
      kong = await KongHost.start({ pluginsDir: KONG_PLUGINS_DIR, config: policy, serviceUrl: backends.stableUrl, serverEnv: options.serverEnv, clock, logLevel: options.kongLogLevel });
    } catch (err) {
      clock?.dispose();
      throw err;
    }
    return {
      name, kong,
      request: async (r = {}) => toPlaneResponse(await kong.request({ method: r.method, path: r.path ?? "/", headers: r.headers, clientIp: r.clientIp })),
      advanceClock: clock ? (ms) => clock.advance(ms) : noManualClock,
      close: async () => {
        await kong.close();
        clock?.dispose();
      },
    };
  }
  const clock = options.manualClock ? new ManualClock() : undefined;
  const envoy = await EnvoyHost.start({
    clock,
    wasm: MESHGATE_WASM,
    pluginConfig: JSON.stringify(policy),
    workers: options.workers ?? 2,
    clusters: { ...options.clusters, "auth-service": backends.authUrl, stable: backends.stableUrl, canary: backends.canaryUrl },
    routes: [{ match: { headers: { "x-canary": { exact: "true" } } }, cluster: "canary" }, { cluster: "stable" }],
    // The stats_tags istio-manifests/ adds, so labeled counters come out labeled as on a configured Envoy.
    statsTags: [...DECISION_LABELS],
  });
  return {
    name, envoy,
    request: async (r = {}) => toPlaneResponse(await envoy.request({
      method: r.method, path: r.path ?? "/", headers: r.headers, worker: r.worker,
      clientAddress: r.clientIp ? `${r.clientIp}:40000` : undefined,
    })),
    advanceClock: clock ? (ms) => clock.advance(ms) : noManualClock,
    close: () => envoy.close(),
  };
}

function toPlaneResponse(r: { status: number; headers: Record<string, string | string[]>; body: string }): PlaneResponse {
  let variant: PlaneResponse["variant"] = null;
  let upstreamHeaders: Record<string, string> | null = null;
  try {
    const echoed = JSON.parse(r.body) as { variant?: unknown; headers?: Record<string, string> };
    if (echoed.variant === "stable" || echoed.variant === "canary") {
      variant = echoed.variant;
      upstreamHeaders = echoed.headers ?? {};
    }
  } catch {
    // a local reply or a non-JSON body
  }
  return { status: r.status, headers: r.headers, body: r.body, variant, upstreamHeaders };
}

export function header(r: PlaneResponse, name: string): string | undefined {
  const value = r.headers[name] ?? r.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}
