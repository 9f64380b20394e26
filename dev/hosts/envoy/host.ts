// EnvoyHost: one emulated Envoy process running one Wasm HTTP filter plugin — the canary check,
// N worker VMs, shared state, clusters, the route table, and the programmatic request API.

import { readFile } from "node:fs/promises";
import { LOG_LEVELS, LogLevel, logLevelName, type LogLevelName } from "./abi.js";
import { ClusterManager } from "./clusters.js";
import { SYSTEM_CLOCK, type HostClock } from "./clock.js";
import type { EnvoyWireOptions } from "./envoy-wire-rules.js";
import { listenGateway, type AccessLogEntry, type GatewayHandle } from "./gateway.js";
import { collectBody, HttpStream, type DownstreamRequest } from "./http-stream.js";
import { loadWasmModule, type LoadedModule } from "./load.js";
import { MetricStore } from "./metrics.js";
import { type AdminHandle, listenAdmin } from "./admin.js";
import { RouteTable, type RouteRule } from "./router.js";
import { acquireVmId, globalSharedData, globalSharedQueues } from "./shared-data.js";
import { WasmVm, type HostCounters, type VmEnvironment } from "./vm.js";

export type { RouteRule } from "./router.js";

export interface EnvoyHostOptions {
  /** Path to the .wasm file, or its bytes. */
  wasm: string | Uint8Array;
  /** Given to the plugin as PLUGIN_CONFIGURATION (Istio: WasmPlugin.pluginConfig as JSON text). */
  pluginConfig: string;
  vmConfig?: string;
  /** Envoy root_id (Istio: WasmPlugin.pluginName). Default "meshgate". */
  rootId?: string;
  /** Envoy plugin name (property plugin_name). Default: rootId. */
  pluginName?: string;
  /** Shared-data namespace. Default "" like Istio. */
  vmId?: string;
  /** Worker VMs (Envoy --concurrency). Default 2, like an Istio sidecar. */
  workers?: number;
  failOpen?: boolean;
  logLevel?: LogLevelName;
  /** Cluster name → origin ("http://127.0.0.1:9000"); "" = a cluster with no healthy host. */
  clusters: Record<string, string>;
  routes?: RouteRule[];
  /** Deadline for a stream until its response headers are through the filter. Default 15000. */
  streamTimeoutMs?: number;
  /** Gateway only: a request header naming the worker index to use (removed before the filter). */
  workerHeader?: string;
  /** Gateway only: the HTTP/1 codec limits (README "On the wire"); default: Envoy's, as Istio runs them. */
  wire?: EnvoyWireOptions;
  /** Called for every log line as it is captured. */
  onLog?: (entry: LogEntry) => void;
  /** Wall-clock time and plugin ticks (Envoy's TimeSource). Default: the system clock; tests pass a ManualClock. */
  clock?: HostClock;
  /** Tag names Envoy's stats_tags extract from stat names in Istio's encoding (metrics.ts). Default none. */
  statsTags?: string[];
}

export interface LogEntry {
  /** Worker index; -1 for the canary VM. */
  worker: number;
  level: LogLevelName;
  message: string;
  /** "wasm": written by the plugin (proxy_log, stdout/stderr); "host": the emulator's own line. */
  source: "wasm" | "host";
}

export interface HostRequest {
  method?: string;
  path: string;
  headers?: Record<string, string | string[]>;
  body?: string;
  worker?: number;
  clientAddress?: string;
}

export interface HostResponse {
  status: number;
  headers: Record<string, string | string[]>;
  body: string;
  cluster: string | null;
  local: boolean;
  /** Envoy's response code details, e.g. "via_upstream", "wasm_fail_stream", "route_not_found". */
  details: string;
  /** True when the stream was reset (no response). */
  reset: boolean;
}

export interface HostStats {
  hostCalls: number;
  guestNs: number;
  requests: number;
}

const MAX_LOG_ENTRIES = 20_000;
const MAX_BUFFERED_BODY = 16 * 1024 * 1024;

export class EnvoyHostError extends Error {
  override name = "EnvoyHostError";
}

function validateOptions(o: EnvoyHostOptions): void {
  if (typeof o.pluginConfig !== "string") throw new EnvoyHostError("pluginConfig must be a string (the JSON text)");
  const workers = o.workers ?? 2;
  if (!Number.isInteger(workers) || workers < 1 || workers > 64) throw new EnvoyHostError(`workers must be an integer in 1..64, got ${workers}`);
  if (o.logLevel !== undefined && !LOG_LEVELS.includes(o.logLevel)) {
    throw new EnvoyHostError(`logLevel must be one of ${LOG_LEVELS.join(", ")}, got '${String(o.logLevel)}'`);
  }
  const timeout = o.streamTimeoutMs ?? 15_000;
  if (!Number.isFinite(timeout) || timeout <= 0) throw new EnvoyHostError(`streamTimeoutMs must be a positive number, got ${timeout}`);
  if (typeof o.clusters !== "object" || o.clusters === null) throw new EnvoyHostError("clusters must be an object of name → origin URL");
}

export class EnvoyHost {
  private readonly logEntries: LogEntry[] = [];
  private readonly logWaiters = new Set<{ pred: (e: LogEntry) => boolean; resolve: (e: LogEntry) => void }>();
  private readonly metrics: MetricStore;
  private readonly counters: HostCounters = { hostCalls: 0, hostNs: 0n, guestNs: 0n };
  private requestCount = 0;
  private nextWorker = 0;
  private nextConnectionId = 1;
  private readonly workersList: WasmVm[] = [];
  private readonly gateways = new Set<GatewayHandle>();
  private closed = false;
  readonly env: VmEnvironment;
  private readonly router: RouteTable;

  private constructor(private readonly options: EnvoyHostOptions, private readonly clusters: ClusterManager,
    private readonly releaseVmId: () => void) {
    this.router = new RouteTable(options.routes ?? []);
    this.metrics = new MetricStore(options.statsTags ?? []);
    const host = this;
    const rootId = options.rootId ?? "meshgate";
    this.env = {
      rootId,
      pluginName: options.pluginName ?? rootId,
      vmId: options.vmId ?? "",
      vmConfig: Buffer.from(options.vmConfig ?? ""),
      pluginConfig: Buffer.from(options.pluginConfig),
      logLevel: LogLevel[options.logLevel ?? "info"],
      failOpen: options.failOpen ?? false,
      metrics: this.metrics,
      sharedData: globalSharedData,
      queues: globalSharedQueues,
      httpCalls: clusters,
      counters: this.counters,
      clock: options.clock ?? SYSTEM_CLOCK,
      log(worker, level, message, source) { host.capture({ worker, level: logLevelName(level), message, source }); },
    };
  }

  /** Loads the module, runs the canary VM, starts the workers. Rejects with Envoy-like text. */
  static async start(options: EnvoyHostOptions): Promise<EnvoyHost> {
    validateOptions(options);
    let bytes: Uint8Array;
    if (typeof options.wasm === "string") {
      try { bytes = await readFile(options.wasm); } catch (err) {
        throw new EnvoyHostError(`cannot read wasm file '${options.wasm}': ${err instanceof Error ? err.message : String(err)}`);
      }
    } else {
      bytes = options.wasm;
    }
    const loaded = await loadWasmModule(bytes);
    let clusters: ClusterManager;
    try { clusters = new ClusterManager(options.clusters, options.clock); } catch (err) {
      throw new EnvoyHostError(err instanceof Error ? err.message : String(err));
    }
    const host = new EnvoyHost(options, clusters, acquireVmId(options.vmId ?? ""));
    try {
      host.runCanary(loaded);
      for (let i = 0; i < (options.workers ?? 2); i++) host.workersList.push(host.startWorker(i, loaded));
    } catch (err) {
      await host.close();
      throw err;
    }
    return host;
  }

  private failStart(what: string, vmIndex: number): never {
    const lines = this.logEntries.filter((e) => e.worker === vmIndex).map((e) => `  [${e.level}] ${e.message}`);
    const logs = lines.length ? `\nVM logs:\n${lines.join("\n")}` : "\n(the VM logged nothing)";
    throw new EnvoyHostError(`Unable to create Wasm HTTP filter ${this.env.pluginName}: ${what}${logs}`);
  }

  private instantiate(index: number, loaded: LoadedModule): WasmVm {
    try {
      return WasmVm.instantiate(this.env, index, loaded);
    } catch (err) {
      return this.failStart(`Failed to create new Wasm instance: ${err instanceof Error ? err.message : String(err)}`, index);
    }
  }

  /** cpp-host WasmHandleBase::canary: initialize, start, configure, then kill without on_done/on_delete. */
  private runCanary(loaded: LoadedModule): void {
    const vm = this.instantiate(-1, loaded);
    try {
      if (!vm.initialize()) this.failStart("Failed to initialize Wasm code", -1);
      const { started, configured } = vm.startPlugin();
      if (!started) this.failStart("Failed to start base Wasm", -1);
      if (!configured) this.failStart("Failed to configure base Wasm plugin", -1);
    } finally {
      vm.dispose();
    }
  }

  private startWorker(index: number, loaded: LoadedModule): WasmVm {
    const vm = this.instantiate(index, loaded);
    if (!vm.initialize()) {
      vm.dispose();
      this.failStart(`Failed to initialize Wasm code (worker ${index})`, index);
    }
    const { started, configured } = vm.startPlugin();
    if (!started || !configured) {
      const what = started ? "Failed to configure thread-local Wasm plugin" : "Failed to start thread-local Wasm";
      vm.fail(`${what} (worker ${index})`);
    }
    return vm;
  }

  private capture(entry: LogEntry): void {
    this.logEntries.push(entry);
    if (this.logEntries.length > MAX_LOG_ENTRIES) this.logEntries.splice(0, this.logEntries.length - MAX_LOG_ENTRIES);
    this.options.onLog?.(entry);
    for (const waiter of this.logWaiters) {
      if (waiter.pred(entry)) { this.logWaiters.delete(waiter); waiter.resolve(entry); }
    }
  }

  get workerCount(): number { return this.workersList.length; }

  /** The worker VM a request is pinned to, or the next one round-robin. */
  pickWorker(worker?: number): number {
    if (worker !== undefined) {
      if (!Number.isInteger(worker) || worker < 0 || worker >= this.workersList.length) {
        throw new EnvoyHostError(`worker must be an integer in 0..${this.workersList.length - 1}, got ${worker}`);
      }
      return worker;
    }
    const w = this.nextWorker;
    this.nextWorker = (this.nextWorker + 1) % this.workersList.length;
    return w;
  }

  allocConnectionId(): number { return this.nextConnectionId++; }

  /** Creates the stream for one downstream request on the given worker (used by the gateway). */
  createStream(worker: number, req: DownstreamRequest): HttpStream {
    if (this.closed) throw new EnvoyHostError("host is closed");
    const vm = this.workersList[worker];
    if (!vm) throw new EnvoyHostError(`no worker ${worker}`);
    this.requestCount++;
    return new HttpStream({
      vm, router: this.router, clusters: this.clusters,
      timeoutMs: this.options.streamTimeoutMs ?? 15_000, maxBufferedBody: MAX_BUFFERED_BODY,
    }, req);
  }

  get workerHeader(): string | undefined { return this.options.workerHeader?.toLowerCase(); }

  get wireOptions(): EnvoyWireOptions { return this.options.wire ?? {}; }

  /** Runs one request through the filter and, when it continues, to the routed cluster. */
  async request(r: HostRequest): Promise<HostResponse> {
    const worker = this.pickWorker(r.worker);
    const headers: Array<[string, string]> = [];
    let authority = "localhost";
    for (const [k, v] of Object.entries(r.headers ?? {})) {
      const key = k.toLowerCase();
      for (const value of Array.isArray(v) ? v : [v]) {
        if (key === "host" || key === ":authority") authority = value;
        else headers.push([key, value]);
      }
    }
    const stream = this.createStream(worker, {
      method: r.method ?? "GET",
      path: r.path,
      authority,
      scheme: "http",
      protocol: "HTTP/1.1",
      headers,
      body: r.body ? Buffer.from(r.body) : null,
      clientAddress: r.clientAddress ?? "127.0.0.1:50000",
      localAddress: "127.0.0.1:10000",
      connectionId: this.allocConnectionId(),
    });
    try {
      const res = await stream.process();
      let body = "";
      if (!res.reset) {
        try { body = (await collectBody(res.body)).toString("utf8"); } catch { body = ""; }
      }
      return {
        status: res.status, headers: res.headers.toRecord(), body, cluster: res.cluster, local: res.local,
        details: res.details, reset: res.reset,
      };
    } finally {
      stream.complete();
    }
  }

  /** Starts an HTTP front on 127.0.0.1 (the "Envoy-plane gateway"). */
  async listen(port = 0, host = "127.0.0.1", onAccess?: (entry: AccessLogEntry) => void): Promise<{ port: number; close(): Promise<void> }> {
    const handle = await listenGateway(this, port, host, onAccess);
    this.gateways.add(handle);
    return {
      port: handle.port,
      close: async () => { this.gateways.delete(handle); await handle.close(); },
    };
  }

  logs(): LogEntry[] { return this.logEntries.slice(); }
  clearLogs(): void { this.logEntries.length = 0; }

  /** Resolves with the first captured (past or future) log line matching `pred`. */
  waitForLog(pred: (e: LogEntry) => boolean, timeoutMs = 5_000): Promise<LogEntry> {
    const found = this.logEntries.find(pred);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const waiter = {
        pred,
        resolve: (e: LogEntry) => { clearTimeout(timer); resolve(e); },
      };
      const timer = setTimeout(() => {
        this.logWaiters.delete(waiter);
        reject(new EnvoyHostError(`no matching log line within ${timeoutMs} ms`));
      }, timeoutMs);
      this.logWaiters.add(waiter);
    });
  }

  prometheusText(): string { return this.metrics.prometheusText(); }

  /** Starts the admin-style listener (admin.ts): GET /stats/prometheus. */
  async listenAdmin(port = 0, host = "127.0.0.1"): Promise<AdminHandle> {
    const handle = await listenAdmin(() => this.prometheusText(), port, host);
    this.gateways.add(handle);
    return handle;
  }
  metric(name: string): number | undefined { return this.metrics.value(name); }

  stats(): HostStats {
    return { hostCalls: this.counters.hostCalls, guestNs: Number(this.counters.guestNs), requests: this.requestCount };
  }

  sharedDataKeys(): number { return globalSharedData.keyCount(this.env.vmId); }

  /** Whether a worker VM has failed (trap or failed start). */
  workerFailed(worker: number): boolean { return this.workersList[worker]?.failed ?? false; }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.gateways].map((g) => g.close()));
    this.gateways.clear();
    for (const vm of this.workersList) vm.shutdown();
    await this.clusters.close();
    this.releaseVmId();
  }
}
