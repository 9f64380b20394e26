// The proxy half of Kong: pick where the request goes the way Kong's balancer does, build the upstream request
// from what the plugin changed, and forward it as bytes (one keep-alive client per origin, ../http1/upstream-client.ts).
//
// Balancer rules (kong/runloop/handler.lua balancer_prepare and access.after, kong/runloop/balancer/init.lua
// execute and set_host_header, kong/pdk/service.lua):
// - The balancer type comes from the Service's host — `ipv4`, `ipv6` or `name` — and set_upstream/set_target only
//   change the host (and port). With an IP Service nothing is looked up: the host is handed to nginx as an IP
//   address, so an Upstream name or a hostname fails in the balancer with 500 (Kong/kong#12201).
// - With a `name` Service the host is first looked up as an Upstream entity (ring balancer over its targets),
//   else resolved by DNS (here: the `hosts` table, IP literals, then the OS resolver).
// - Host header: `$upstream_host` when a plugin set it (set_target sets it to the bare host it was given, as does
//   setting a `host` request header); else the client's with the Route's preserve_host; else the
//   Upstream's host_header or the target's hostname, with `:port` unless the port is the scheme's default.
import { isIP } from "node:net";
import { UpstreamClient } from "../http1/upstream-client.js";
import { HeaderStore } from "./header-store.js";
import type { RequestContext } from "./request-context.js";

const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade", "proxy-authenticate", "proxy-authorization"]);
/** Headers Kong's nginx template sets itself with proxy_set_header (kong/templates/nginx_kong.lua). */
const PROXY_SET = new Set(["host", "content-length", "x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "x-forwarded-port", "x-forwarded-path", "x-real-ip", "x-kong-request-id"]);

/** A Kong Upstream entity: its targets (`host:port` or a URL) and optional `host_header`. */
export interface UpstreamEntity {
  targets: string[];
  hostHeader?: string;
}

export interface UpstreamTarget {
  origin: string;
  /** Path prefix of the Service URL, prepended unless the plugin called set_path. */
  basePath: string;
  /** The Upstream entity name when the balancer picked one, else null. */
  upstreamName: string | null;
  /** The Host header Kong would send (`$upstream_host`). */
  hostHeader: string;
}

/** The balancer could not produce a peer: Kong logs `log` and answers `status` with its error page. */
export interface BalancerFailure {
  status: number;
  log: string;
}

export interface UpstreamResponse {
  status: number;
  headers: HeaderStore;
  body: Buffer;
}

export interface UpstreamProxyOptions {
  upstreams?: Record<string, string[] | UpstreamEntity>;
  /** Name → IP, consulted before the OS resolver (like Kong's resolver reading /etc/hosts). */
  hosts?: Record<string, string>;
  /** The Route's preserve_host: the client's Host header goes upstream. */
  preserveHost?: boolean;
  /** nginx `proxy_hide_header` names (e.g. from kong.conf `nginx_location_include`): upstream response headers
   *  dropped before the client sees them. Headers a plugin set with ngx.header are not affected. */
  hideUpstreamHeaders?: string[];
}

type HostType = "ipv4" | "ipv6" | "name";

function toOrigin(target: string): URL {
  return new URL(/^[a-z]+:\/\//i.test(target) ? target : `http://${target}`);
}

/** kong/tools/ip.lua hostname_type, for a host without brackets. */
function hostTypeOf(host: string): HostType {
  const family = isIP(host);
  return family === 4 ? "ipv4" : family === 6 ? "ipv6" : "name";
}

function bracketed(host: string): string {
  return isIP(host) === 6 ? `[${host}]` : host;
}

function defaultPort(scheme: string): number {
  return scheme === "https" ? 443 : 80;
}

export class UpstreamProxy {
  private readonly clients = new Map<string, UpstreamClient>();
  private readonly roundRobin = new Map<string, number>();
  private readonly service: URL;
  private readonly serviceHost: string;
  private readonly serviceType: HostType;
  private readonly upstreams: Map<string, { targets: URL[]; hostHeader: string | undefined }>;
  private readonly hosts: Map<string, string>;
  private readonly hidden: Set<string>;

  constructor(serviceUrl: string, private readonly options: UpstreamProxyOptions = {}) {
    this.service = toOrigin(serviceUrl);
    this.serviceHost = this.service.hostname.replace(/^\[|\]$/g, "");
    this.serviceType = hostTypeOf(this.serviceHost);
    this.upstreams = new Map(Object.entries(options.upstreams ?? {}).map(([name, entity]) => {
      const { targets, hostHeader } = Array.isArray(entity) ? { targets: entity, hostHeader: undefined } : entity;
      if (targets.length === 0) throw new Error(`upstream '${name}' has no targets`);
      return [name, { targets: targets.map(toOrigin), hostHeader }];
    }));
    this.hosts = new Map(Object.entries({ localhost: "127.0.0.1", ...options.hosts }));
    this.hidden = new Set((options.hideUpstreamHeaders ?? []).map((name) => name.toLowerCase()));
  }

  hasUpstream(name: string): boolean {
    return this.upstreams.has(name);
  }

  resolve(ctx: RequestContext): UpstreamTarget | BalancerFailure {
    const basePath = this.service.pathname === "/" ? "" : this.service.pathname.replace(/\/$/, "");
    const scheme = ctx.upstreamScheme ?? (this.service.protocol === "https:" ? "https" : "http");
    const host = ctx.balancerHost ?? this.serviceHost;
    const port = ctx.balancerPort ?? Number(this.service.port || defaultPort(scheme));
    let ip: string;
    let hostname: string;
    let peerPort = port;
    let upstreamName: string | null = null;
    let upstreamHostHeader: string | undefined;
    if (this.serviceType !== "name") {
      // balancer.execute: "it's an ip address (v4 or v6), so nothing we can do" — set_current_peer then refuses a name.
      if (isIP(host) === 0) return { status: 500, log: `failed to set the current peer (address: ${host} port: ${port}): no host allowed` };
      ip = host;
      hostname = host;
    } else {
      const upstream = this.upstreams.get(host);
      if (upstream) {
        const turn = this.roundRobin.get(host) ?? 0;
        this.roundRobin.set(host, turn + 1);
        const picked = upstream.targets[turn % upstream.targets.length]!;
        hostname = picked.hostname.replace(/^\[|\]$/g, "");
        peerPort = Number(picked.port || defaultPort(scheme));
        ip = this.lookup(hostname);
        upstreamName = host;
        upstreamHostHeader = upstream.hostHeader;
      } else {
        hostname = host;
        ip = this.lookup(host);
      }
    }
    const origin = `${scheme}://${bracketed(ip)}:${peerPort}`;
    return { origin, basePath, upstreamName, hostHeader: this.hostHeader(ctx, scheme, upstreamHostHeader ?? bracketed(hostname), peerPort) };
  }

  /** set_host_header: the Upstream's host_header gets the same `:port` rule as a target's hostname. */
  private hostHeader(ctx: RequestContext, scheme: string, hostname: string, port: number): string {
    // The router puts the client's Host in $upstream_host for preserve_host; set_target overwrites it.
    if (ctx.upstreamHostHeader !== null && ctx.upstreamHostHeader !== "") return ctx.upstreamHostHeader;
    if (this.options.preserveHost) return ctx.incoming.headers.first("host") ?? hostname;
    return port === defaultPort(scheme) ? hostname : `${hostname}:${port}`;
  }

  private lookup(name: string): string {
    return this.hosts.get(name.toLowerCase()) ?? name;
  }

  async forward(ctx: RequestContext, target: UpstreamTarget): Promise<UpstreamResponse> {
    const path = (ctx.upstreamPath ?? `${target.basePath}${ctx.rawPath()}`) + (ctx.args === "" ? "" : `?${ctx.args}`);
    const incoming = ctx.incoming;
    const priorXff = ctx.headers.values("x-forwarded-for").join(", ");
    const headers: Array<[string, string]> = [["Host", target.hostHeader]];
    for (const [name, value] of ctx.headers.pairs()) {
      const lower = name.toLowerCase();
      if (!HOP_BY_HOP.has(lower) && !PROXY_SET.has(lower)) headers.push([name, value]);
    }
    headers.push(
      ["X-Forwarded-For", priorXff ? `${priorXff}, ${incoming.forwardedIp}` : incoming.forwardedIp],
      ["X-Forwarded-Proto", incoming.scheme],
      ["X-Forwarded-Host", ctx.host()],
      ["X-Forwarded-Port", String(incoming.serverPort)],
      ["X-Forwarded-Path", ctx.rawPath()],
      ["X-Real-IP", incoming.forwardedIp],
      ["X-Kong-Request-Id", ctx.requestId],
    );
    const hasBody = incoming.body.byteLength > 0 && ctx.method !== "GET" && ctx.method !== "HEAD";
    if (hasBody) headers.push(["Content-Length", String(incoming.body.byteLength)]);
    const res = await this.client(target.origin).send({ method: ctx.method, path, headers, body: hasBody ? incoming.body : null });
    const chunks: Buffer[] = [];
    for await (const chunk of res.body) chunks.push(chunk as Buffer);
    const responseHeaders = new HeaderStore();
    for (const [name, value] of res.headers) {
      const lower = name.toLowerCase();
      if (!HOP_BY_HOP.has(lower) && lower !== "content-length" && !this.hidden.has(lower)) responseHeaders.add(lower, value);
    }
    return { status: res.status, headers: responseHeaders, body: Buffer.concat(chunks) };
  }

  async close(): Promise<void> {
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
  }

  private client(origin: string): UpstreamClient {
    let client = this.clients.get(origin);
    if (!client) {
      client = new UpstreamClient(origin, { maxSockets: 128, keepAliveMs: 60_000 });
      this.clients.set(origin, client);
    }
    return client;
  }
}
