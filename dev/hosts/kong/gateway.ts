// The Kong-plane gateway: a fake Kong around the REAL kong-js-pluginserver. Per request it runs the plugin's
// rewrite/access phases over MessagePack-RPC with a fake PDK answering from the real request, then either
// sends Kong's own response (exit/error/500) or proxies to the upstream, and finally runs the log phase
// after the response, from saved values — the way Kong 3.9+ does (see README.md for what is simplified).
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { listenHttp1, type Exchange, type ListeningFront } from "../http1/server.js";
import type { BytePair, Http1Request, Http1Response } from "../http1/types.js";
import type { RoundTripCounter } from "./bridge.js";
import { HeaderStore } from "./header-store.js";
import { InstanceManager, StartInstanceError } from "./instance-manager.js";
import { logSuffix } from "./error-log-context.js";
import { KongLog, type KongLogEntry, type KongLogLevelName } from "./kong-log.js";
import { errorPage, flushDelayedResponse, KONG_VERSION, type ProducedResponse } from "./kong-response.js";
import { bytesToText, textToBytes } from "./lua-msgpack.js";
import { MsgpackRpcPool, type RpcTraceEntry } from "./msgpack-rpc.js";
import { NginxWireRules, type NginxWireOptions } from "./nginx-wire-rules.js";
import type { KongLogLevel, PdkEnvironment } from "./pdk/environment.js";
import { serializeRequest } from "./pdk/misc.js";
import { dumpPluginInfo, type PluginInfo } from "./plugin-info.js";
import { KongPluginConfig } from "./plugin-config.js";
import { PluginRunner } from "./plugin-runner.js";
import type { PluginServerClock } from "./plugin-clock.js";
import { PluginServerProcess } from "./plugin-server-process.js";
import { defaultStartCmd } from "./repo-paths.js";
import { RequestContext, type IncomingRequest } from "./request-context.js";
import { UpstreamProxy, type UpstreamEntity } from "./upstream-proxy.js";

export interface KongHostOptions {
  /** Directory holding exactly the plugin (Kong ≥ 3.9 registers only the first plugin of a server). */
  pluginsDir: string;
  config: Record<string, unknown>;
  serviceUrl: string;
  /** Kong Upstream entities: name → targets (`http://host:port` or `host:port`, picked round-robin), or
   *  `{targets, hostHeader}` for an Upstream with `host_header`. */
  upstreams?: Record<string, string[] | UpstreamEntity>;
  /** Name → IP for the balancer's DNS step (`localhost` is 127.0.0.1); other names use the OS resolver. */
  hosts?: Record<string, string>;
  /** The Route's preserve_host (default false, as in Kong). */
  preserveHost?: boolean;
  /** nginx `proxy_hide_header` names in Kong's proxy location (kong.conf `nginx_location_include`). */
  hideUpstreamHeaders?: string[];
  /** Plugin server command; default: meshgate's plugin server (`kong-plugins/server/build/meshgate-pluginserver.cjs`). */
  startCmd?: string[];
  /** Directory for the socket (`--kong-prefix`); default: a fresh temp dir, removed on close. */
  prefix?: string;
  verbose?: boolean;
  /** Peers whose `X-Real-IP` Kong trusts (`trusted_ips` + `real_ip_header`); default none, as in Kong. */
  trustedIps?: string[];
  /** Per-RPC timeout (Kong: the 60 s cosocket default). */
  rpcTimeoutMs?: number;
  /** Extra environment for the plugin server process (e.g. NODE_OPTIONS). */
  serverEnv?: NodeJS.ProcessEnv;
  /** Kong's `log_level`: lines below it are dropped (default `notice`, as in kong.conf.default). */
  logLevel?: KongLogLevelName;
  /** Record every RPC (method, argument, result) for `rpcTrace()`; bounded to the last 10 000. */
  traceRpc?: boolean;
  /** Kong's clock, moved by the caller (who disposes it): the plugin server's wall clock and the host's respawn
   *  throttle. Default: system time. */
  clock?: PluginServerClock;
  /** nginx directives of the HTTP front (README "On the wire"); default: what Kong 3.9 configures. */
  nginx?: NginxWireOptions;
}

/** A request for `request()`: text, sent as its UTF-8 bytes (raw bytes: use the HTTP front). */
export interface HostRequest {
  method?: string;
  path: string;
  headers?: Record<string, string | string[]>;
  body?: string;
  clientIp?: string;
}

export interface HostResponse {
  status: number;
  headers: Record<string, string | string[]>;
  body: string;
  proxied: boolean;
  upstream: string | null;
  roundTrips: number;
}

/** One line of the gateway's access log (`listen(…, onAccess)`): the path is logged without its query. */
export interface AccessLogEntry {
  method: string;
  path: string;
  status: number;
  /** Upstream entity name or origin the request was proxied to; null for a response Kong produced. */
  upstream: string | null;
  ms: number;
}

interface HandledRequest {
  response: ProducedResponse;
  proxied: boolean;
  upstream: string | null;
  roundTrips: number;
  ctx: RequestContext;
}

const KONG_PROXY_PORT = 8000;

/** nginx keeps one value of these in `r->headers_out` and the upstream's copy handler overwrites it. */
const UPSTREAM_WINS = new Set(["content-type", "content-length"]);

/**
 * Headers set with ngx.header in rewrite/access are already in `r->headers_out` when the upstream answers, and
 * nginx's proxy module pushes the upstream's header lines next to them: a name both set is sent twice
 * (openresty/lua-nginx-module#2386). Only a header filter could replace them, and plugin servers have none.
 */
function mergeAccessResponseHeaders(upstream: HeaderStore, fromAccess: HeaderStore): void {
  for (const name of fromAccess.names()) {
    if (UPSTREAM_WINS.has(name) && upstream.has(name)) continue;
    upstream.add(name, fromAccess.values(name));
  }
}

export class KongHost {
  readonly pluginInfo: PluginInfo;
  private readonly log: KongLog;
  private readonly runner: PluginRunner;
  private readonly instances: InstanceManager;
  private readonly pendingLogPhases = new Set<Promise<void>>();
  private readonly fronts = new Set<ListeningFront>();
  private readonly wireRules: NginxWireRules;
  private readonly env: PdkEnvironment;
  private closed = false;

  private constructor(
    private readonly options: KongHostOptions,
    info: PluginInfo,
    private readonly pluginConfig: KongPluginConfig,
    private readonly serverProcess: PluginServerProcess,
    private readonly rpc: MsgpackRpcPool,
    private readonly proxy: UpstreamProxy,
    log: KongLog,
    private readonly ownedPrefix: string | null,
    private readonly trace: RpcTraceEntry[],
  ) {
    this.pluginInfo = info;
    this.log = log;
    this.wireRules = new NginxWireRules(options.nginx);
    const service = new URL(/^[a-z]+:\/\//i.test(options.serviceUrl) ? options.serviceUrl : `http://${options.serviceUrl}`);
    const serviceId = randomUUID();
    this.env = {
      pluginName: info.Name,
      pluginId: pluginConfig.pluginId,
      nodeId: randomUUID(),
      service: {
        id: serviceId,
        name: "meshgate-dev-service",
        protocol: service.protocol.replace(":", ""),
        host: service.hostname,
        port: Number(service.port || (service.protocol === "https:" ? 443 : 80)),
        path: service.pathname === "/" ? null : service.pathname,
        retries: 5,
        connect_timeout: 60000,
        read_timeout: 60000,
        write_timeout: 60000,
        enabled: true,
      },
      route: {
        id: randomUUID(),
        name: "meshgate-dev-route",
        paths: ["/"],
        protocols: ["http", "https"],
        strip_path: true,
        preserve_host: options.preserveHost ?? false,
        service: { id: serviceId },
      },
      hasUpstream: (name) => this.proxy.hasUpstream(name),
      // The plugin's log lines arrive as bytes; the dev log shows them as text.
      log: (level: KongLogLevel, message: string, ctx: RequestContext) => this.log.add({ level, message: `[${info.Name}] ${bytesToText(message)}${logSuffix(ctx)}`, source: "plugin" }),
      logKong: (level: KongLogLevel, message: string, ctx?: RequestContext) => this.log.add({ level, message: ctx ? message + logSuffix(ctx) : message, source: "kong" }),
    };
    this.instances = new InstanceManager(() => this.rpc, info.Name, () => this.pluginConfig.get());
    this.runner = new PluginRunner(() => this.rpc, this.instances, this.env, this.log);
  }

  /** Dump plugin info → spawn the server → StartInstance. Rejects with the server's message on a bad config. */
  static async start(o: KongHostOptions): Promise<KongHost> {
    const pluginsDir = resolve(o.pluginsDir);
    if (!statSync(pluginsDir, { throwIfNoEntry: false })?.isDirectory()) throw new Error(`pluginsDir is not a directory: ${pluginsDir}`);
    const startCmd = o.startCmd ?? defaultStartCmd();
    const baseEnv = { ...process.env, ...o.serverEnv };
    const serverEnv = o.clock ? o.clock.serverEnv(baseEnv) : baseEnv;
    const info = await dumpPluginInfo(startCmd, pluginsDir, serverEnv);
    const pluginConfig = new KongPluginConfig(info.Name, info.Schema, o.config);
    const proxy = new UpstreamProxy(o.serviceUrl, { upstreams: o.upstreams, hosts: o.hosts, preserveHost: o.preserveHost, hideUpstreamHeaders: o.hideUpstreamHeaders });
    const log = new KongLog(10_000, o.verbose ?? false, o.logLevel);
    const ownedPrefix = o.prefix ? null : mkdtempSync(join(tmpdir(), "mg-kong-"));
    const prefix = o.prefix ? resolve(o.prefix) : (ownedPrefix as string);
    let server: PluginServerProcess;
    try {
      server = new PluginServerProcess({
        startCmd,
        pluginsDir,
        prefix,
        sockName: `${info.Name}_pluginserver.sock`,
        name: info.Name,
        env: serverEnv,
        clock: o.clock,
        onLog: (level, message) => log.add({ level, message, source: message.startsWith("[pluginserver]") || message.startsWith("external") ? "kong" : "server" }),
      });
    } catch (err) {
      if (ownedPrefix) rmSync(ownedPrefix, { recursive: true, force: true });
      throw err;
    }
    const trace: RpcTraceEntry[] = [];
    const onCall = o.traceRpc
      ? (entry: RpcTraceEntry): void => {
          if (trace.length >= 10_000) trace.shift();
          trace.push(entry);
        }
      : undefined;
    const rpc = new MsgpackRpcPool({ socketPath: server.socketPath, timeoutMs: o.rpcTimeoutMs, onCall });
    const host = new KongHost(o, info, pluginConfig, server, rpc, proxy, log, ownedPrefix, trace);
    try {
      await server.start();
      await host.instances.instanceId();
    } catch (err) {
      await host.close();
      if (err instanceof StartInstanceError) throw new Error(`StartInstance failed: ${err.message}`);
      throw err;
    }
    return host;
  }

  /** Serves HTTP on the nginx-like front (loopback by default); port 0 picks a free port. */
  async listen(port = 0, host = "127.0.0.1", onAccess?: (entry: AccessLogEntry) => void): Promise<{ port: number; close(): Promise<void> }> {
    const front = await listenHttp1({
      rules: this.wireRules,
      handler: (req, exchange) => this.serveHttp(req, exchange, onAccess),
      keepAliveTimeoutMs: 60_000,
      addDate: true,
      onError: (message) => this.log.add({ level: "info", message: `http front: ${message}`, source: "kong" }),
    }, port, host);
    this.fronts.add(front);
    return { port: front.port, close: () => this.closeFront(front) };
  }

  /** One request through the whole pipeline without HTTP; the log phase starts once this resolves. */
  async request(r: HostRequest): Promise<HostResponse> {
    const headers = new HeaderStore();
    for (const [name, value] of Object.entries(r.headers ?? {})) {
      for (const v of Array.isArray(value) ? value : [value]) headers.add(name, textToBytes(v));
    }
    if (!headers.has("host")) headers.set("Host", `localhost:${KONG_PROXY_PORT}`);
    const clientIp = r.clientIp ?? "127.0.0.1";
    const incoming: IncomingRequest = {
      method: r.method ?? "GET",
      requestUri: textToBytes(r.path),
      headers,
      body: Buffer.from(r.body ?? ""),
      clientIp,
      clientPort: 40000,
      forwardedIp: this.forwardedIp(clientIp, headers),
      scheme: "http",
      serverPort: KONG_PROXY_PORT,
    };
    const handled = await this.handle(incoming);
    this.scheduleLogPhase(handled, new Promise((resolveTurn) => setImmediate(resolveTurn)));
    return {
      status: handled.response.status,
      headers: Object.fromEntries(Object.entries(handled.response.headers.toRecord()).map(([k, v]) => [k, Array.isArray(v) ? v.map(bytesToText) : bytesToText(v)])),
      body: handled.response.body.toString("utf8"),
      proxied: handled.proxied,
      upstream: handled.upstream,
      roundTrips: handled.roundTrips,
    };
  }

  /** A config change: validated against the schema, new `__seq__` → next request starts a new instance. */
  setConfig(config: Record<string, unknown>): void {
    this.pluginConfig.update(config);
  }

  /** The Config table Kong sends in StartInstance (before JSON encoding). */
  instanceConfig(): Record<string, unknown> {
    return { ...this.pluginConfig.get() };
  }

  /** StartInstance/CloseInstance RPCs sent so far. */
  instanceStats(): { started: number; closed: number; currentId: unknown } {
    return { started: this.instances.startCount, closed: this.instances.closeCount, currentId: this.instances.currentId() };
  }

  /** RPCs recorded since start or the last clear (only with `traceRpc: true`). */
  rpcTrace(): RpcTraceEntry[] {
    return [...this.trace];
  }

  clearRpcTrace(): void {
    this.trace.length = 0;
  }

  /** The unix socket Kong would connect to (`pluginserver_<name>_socket`). */
  socketPath(): string {
    return this.serverProcess.socketPath;
  }

  /** Connections to the plugin server now open (idle and in use), as Kong's cosocket pool holds them. */
  rpcConnections(): number {
    return this.rpc.openConnections();
  }

  /** Kong's configured `log_level`. */
  get logLevel(): KongLogLevelName {
    return this.log.level;
  }

  logs(): KongLogEntry[] {
    return this.log.all();
  }

  waitForLog(match: (entry: KongLogEntry) => boolean, timeoutMs?: number): Promise<KongLogEntry> {
    return this.log.waitFor(match, timeoutMs);
  }

  serverPid(): number {
    return this.serverProcess.pid();
  }

  killServer(signal: NodeJS.Signals = "SIGKILL"): void {
    this.serverProcess.kill(signal);
  }

  get serverRestarts(): number {
    return this.serverProcess.restarts;
  }

  /** Resolves when the current plugin server process has exited. */
  serverExited(): Promise<void> {
    return this.serverProcess.exited();
  }

  /** Resolves when the current (possibly respawned) plugin server listens. Requests never wait for this. */
  serverReady(): Promise<void> {
    return this.serverProcess.ready();
  }

  /** Resolves when every log phase started so far has finished. */
  async idle(): Promise<void> {
    while (this.pendingLogPhases.size > 0) await Promise.all([...this.pendingLogPhases]);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.fronts].map((f) => this.closeFront(f)));
    await Promise.race([this.idle(), new Promise((r) => setTimeout(r, 2000).unref())]);
    this.rpc.close();
    await this.serverProcess.stop();
    await this.proxy.close();
    if (this.ownedPrefix) rmSync(this.ownedPrefix, { recursive: true, force: true });
  }

  private async handle(incoming: IncomingRequest): Promise<HandledRequest> {
    const ctx = new RequestContext(incoming);
    ctx.ngxCtx.set("route", this.env.route);
    ctx.ngxCtx.set("service", this.env.service);
    ctx.ngxCtx.set("plugin_id", this.env.pluginId);
    const counter: RoundTripCounter = { roundTrips: 0 };
    for (const phase of ["rewrite", "access"] as const) {
      if (!this.pluginInfo.Phases.includes(phase)) continue;
      await this.runner.runPhase(ctx, phase, counter);
      if (ctx.delayedResponse) break;
    }
    if (ctx.delayedResponse) {
      return { response: flushDelayedResponse(ctx), proxied: false, upstream: null, roundTrips: counter.roundTrips, ctx };
    }
    const target = this.proxy.resolve(ctx);
    if ("log" in target) {
      this.log.add({ level: "err", message: target.log + logSuffix(ctx), source: "kong" });
      return { response: errorPage(ctx, target.status), proxied: false, upstream: null, roundTrips: counter.roundTrips, ctx };
    }
    const upstreamLabel = target.upstreamName ?? target.origin;
    try {
      const upstream = await this.proxy.forward(ctx, target);
      ctx.proxied = true;
      const headers = upstream.headers;
      mergeAccessResponseHeaders(headers, ctx.responseHeaders);
      headers.set("Via", `1.1 kong/${KONG_VERSION}`);
      headers.set("X-Kong-Request-Id", ctx.requestId);
      return { response: { status: upstream.status, headers, body: upstream.body }, proxied: true, upstream: upstreamLabel, roundTrips: counter.roundTrips, ctx };
    } catch (err) {
      this.log.add({ level: "err", message: `connect() to upstream ${target.origin} failed: ${(err as Error).message}${logSuffix(ctx)}`, source: "kong" });
      return { response: errorPage(ctx, 502), proxied: false, upstream: upstreamLabel, roundTrips: counter.roundTrips, ctx };
    }
  }

  /** Runs the log phase once `responseSent` resolves; registered at once so idle() already waits for it. */
  private scheduleLogPhase(handled: HandledRequest, responseSent: Promise<unknown>): void {
    if (!this.pluginInfo.Phases.includes("log")) return;
    const run: Promise<void> = responseSent
      .then(() => (this.closed ? undefined : this.runLogPhase(handled)))
      .catch((err: unknown) => this.log.add({ level: "err", message: `log phase: ${String(err)}`, source: "kong" }))
      .finally(() => this.pendingLogPhases.delete(run));
    this.pendingLogPhases.add(run);
  }

  private async runLogPhase(handled: HandledRequest): Promise<void> {
    const { ctx, response } = handled;
    const responseHeaders = response.headers.clone();
    ctx.saved = {
      requestHeaders: ctx.headers.clone(),
      responseHeaders,
      responseStatus: response.status,
      serialize: serializeRequest(ctx, response.status, responseHeaders.toRecord(), this.env.route, this.env.service),
    };
    await this.runner.runPhase(ctx, "log", { roundTrips: 0 });
  }

  private forwardedIp(clientIp: string, headers: HeaderStore): string {
    const trusted = this.options.trustedIps ?? [];
    const realIp = headers.first("x-real-ip");
    return trusted.includes(clientIp) && realIp ? realIp.trim() : clientIp;
  }

  private async serveHttp(req: Http1Request, exchange: Exchange, onAccess?: (entry: AccessLogEntry) => void): Promise<Http1Response> {
    const startedAt = performance.now();
    const { head } = req;
    let upstream: string | null = null;
    let status = 0;
    if (onAccess) {
      exchange.onClose(() => onAccess({ method: head.method, path: head.target.split("?")[0]!, status, upstream, ms: performance.now() - startedAt }));
    }
    try {
      const chunks: Buffer[] = [];
      if (req.body) for await (const chunk of req.body) chunks.push(chunk as Buffer);
      const headers = new HeaderStore();
      for (const [name, value] of head.headers) headers.add(name, value);
      const handled = await this.handle({
        method: head.method,
        requestUri: head.target,
        headers,
        body: Buffer.concat(chunks),
        clientIp: req.remoteAddress,
        clientPort: req.remotePort,
        forwardedIp: this.forwardedIp(req.remoteAddress, headers),
        scheme: "http",
        serverPort: req.localPort,
      });
      if (handled.proxied) upstream = handled.upstream;
      this.scheduleLogPhase(handled, new Promise((resolveSent) => exchange.onClose(() => resolveSent(undefined))));
      status = handled.response.status;
      const out: BytePair[] = [];
      for (const [name, value] of Object.entries(handled.response.headers.toRecord())) {
        for (const v of Array.isArray(value) ? value : [value]) out.push([name, v]);
      }
      return { status, headers: out, body: handled.response.body };
    } catch (err) {
      this.log.add({ level: "err", message: `gateway: ${(err as Error).stack ?? String(err)}`, source: "kong" });
      status = 500;
      return { status, headers: [["content-type", "application/json; charset=utf-8"]], body: Buffer.from('{"message":"An unexpected error occurred"}') };
    }
  }

  private closeFront(front: ListeningFront): Promise<void> {
    if (!this.fronts.delete(front)) return Promise.resolve();
    return front.close();
  }
}
