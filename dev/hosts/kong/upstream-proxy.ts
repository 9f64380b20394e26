// The proxy half of Kong: pick where the request goes (set_target host:port, else the Upstream entity named by
// set_upstream, round-robin over its targets, else the Service URL), build the upstream request from what the
// plugin changed, and forward it as bytes (one keep-alive client per origin, ../http1/upstream-client.ts).
import { UpstreamClient } from "../http1/upstream-client.js";
import { HeaderStore } from "./header-store.js";
import type { RequestContext } from "./request-context.js";

const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade", "proxy-authenticate", "proxy-authorization"]);
/** Headers Kong's nginx template sets itself with proxy_set_header (kong/templates/nginx_kong.lua). */
const PROXY_SET = new Set(["host", "content-length", "x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "x-forwarded-port", "x-forwarded-path", "x-real-ip", "x-kong-request-id"]);

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
  private readonly clients = new Map<string, UpstreamClient>();
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
      if (!HOP_BY_HOP.has(lower) && lower !== "content-length") responseHeaders.add(lower, value);
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
