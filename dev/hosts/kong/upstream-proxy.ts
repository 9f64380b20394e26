// The proxy half of Kong: pick where the request goes (set_target host:port, else the Upstream entity named by
// set_upstream, round-robin over its targets, else the Service URL), build the upstream request from what the
// plugin changed, and forward it with undici (one keep-alive Pool per origin).
import { Pool } from "undici";
import { HeaderStore } from "./header-store.js";
import type { RequestContext } from "./request-context.js";

const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade", "proxy-authenticate", "proxy-authorization"]);

export interface UpstreamTarget {
  origin: string;
  /** Path prefix of the Service URL, prepended unless the plugin called set_path. */
  basePath: string;
  /** The Upstream entity name when the balancer picked one, else null. */
  upstreamName: string | null;
  /** The Host header Kong would send (`$upstream_host`). */
  hostHeader: string;
}

export interface UpstreamResponse {
  status: number;
  headers: HeaderStore;
  body: Buffer;
}

function toOrigin(target: string): URL {
  return new URL(/^[a-z]+:\/\//i.test(target) ? target : `http://${target}`);
}

function hostHeaderOf(url: URL): string {
  return url.host; // includes the port unless it is the scheme default, like Kong's upstream_host
}

export class UpstreamProxy {
  private readonly pools = new Map<string, Pool>();
  private readonly roundRobin = new Map<string, number>();
  private readonly service: URL;
  private readonly upstreams: Map<string, URL[]>;

  constructor(serviceUrl: string, upstreams: Record<string, string[]> = {}) {
    this.service = toOrigin(serviceUrl);
    this.upstreams = new Map(Object.entries(upstreams).map(([name, targets]) => [name, targets.map(toOrigin)]));
    for (const [name, targets] of this.upstreams) if (targets.length === 0) throw new Error(`upstream '${name}' has no targets`);
  }

  hasUpstream(name: string): boolean {
    return this.upstreams.has(name);
  }

  resolve(ctx: RequestContext): UpstreamTarget {
    const basePath = this.service.pathname === "/" ? "" : this.service.pathname.replace(/\/$/, "");
    const scheme = ctx.upstreamScheme ?? (this.service.protocol === "https:" ? "https" : "http");
    const host = ctx.balancerHost;
    if (host !== null) {
      const targets = this.upstreams.get(host);
      if (targets) {
        const turn = this.roundRobin.get(host) ?? 0;
        this.roundRobin.set(host, turn + 1);
        const picked = targets[turn % targets.length]!;
        return { origin: picked.origin, basePath, upstreamName: host, hostHeader: ctx.upstreamHostHeader ?? host };
      }
      const port = ctx.balancerPort ?? Number(this.service.port || (scheme === "https" ? 443 : 80));
      const hostPart = host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
      return { origin: `${scheme}://${hostPart}:${port}`, basePath, upstreamName: null, hostHeader: ctx.upstreamHostHeader ?? host };
    }
    return { origin: `${scheme}://${this.service.host}`, basePath, upstreamName: null, hostHeader: ctx.upstreamHostHeader ?? hostHeaderOf(this.service) };
  }

  async forward(ctx: RequestContext, target: UpstreamTarget): Promise<UpstreamResponse> {
    const path = (ctx.upstreamPath ?? `${target.basePath}${ctx.rawPath()}`) + (ctx.args === "" ? "" : `?${ctx.args}`);
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(ctx.headers.toRecord())) {
      if (!HOP_BY_HOP.has(name) && name !== "host" && name !== "content-length") headers[name] = value;
    }
    const incoming = ctx.incoming;
    const priorXff = ctx.headers.values("x-forwarded-for").join(", ");
    headers["host"] = target.hostHeader;
    headers["x-forwarded-for"] = priorXff ? `${priorXff}, ${incoming.forwardedIp}` : incoming.forwardedIp;
    headers["x-forwarded-proto"] = incoming.scheme;
    headers["x-forwarded-host"] = ctx.host();
    headers["x-forwarded-port"] = String(incoming.serverPort);
    headers["x-forwarded-path"] = ctx.rawPath();
    headers["x-real-ip"] = incoming.forwardedIp;
    headers["x-kong-request-id"] = ctx.requestId;
    const hasBody = incoming.body.byteLength > 0 && ctx.method !== "GET" && ctx.method !== "HEAD";
    const res = await this.pool(target.origin).request({
      method: ctx.method as "GET",
      path,
      headers,
      body: hasBody ? Buffer.from(incoming.body) : null,
      headersTimeout: 60_000,
      bodyTimeout: 60_000,
    });
    const body = Buffer.from(await res.body.arrayBuffer());
    const responseHeaders = new HeaderStore();
    for (const [name, value] of Object.entries(res.headers)) {
      if (value === undefined || HOP_BY_HOP.has(name) || name === "content-length") continue;
      responseHeaders.add(name, value);
    }
    return { status: res.statusCode, headers: responseHeaders, body };
  }

  async close(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((p) => p.close().catch(() => undefined)));
  }

  private pool(origin: string): Pool {
    let pool = this.pools.get(origin);
    if (!pool) {
      pool = new Pool(origin, { connections: 128, keepAliveTimeout: 60_000 });
      this.pools.set(origin, pool);
    }
    return pool;
  }
}
