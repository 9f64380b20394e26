// Everything Kong knows about one request while the plugin runs: the (mutable) client request, what the plugin
// asked for the upstream request and the client response, `ngx.ctx` / `kong.ctx.shared`, and — for the log
// phase — the values Kong saves before it runs the log handler in a timer.
import { randomBytes } from "node:crypto";
import { HeaderStore, type HeaderValue } from "./header-store.js";

export type KongPhase = "rewrite" | "access" | "log";

export interface IncomingRequest {
  method: string;
  /** Path and query exactly as received (nginx `$request_uri`). */
  requestUri: string;
  headers: HeaderStore;
  body: Uint8Array;
  clientIp: string;
  clientPort: number;
  /** `remote_addr` after Kong's real-ip processing (`kong.client.get_forwarded_ip`). */
  forwardedIp: string;
  scheme: "http" | "https";
  /** The port Kong listens on (`$server_port`). */
  serverPort: number;
}

/** A response produced by Kong itself: `kong.response.exit/error`, or the 500 after a PDK error. */
export interface DelayedResponse {
  status: number;
  /** A string body is sent as-is; a table body is JSON-encoded by Kong. */
  content: unknown;
  headers: Record<string, unknown> | null;
  source: "exit" | "error";
}

export interface SavedLogData {
  requestHeaders: HeaderStore;
  responseHeaders: HeaderStore;
  responseStatus: number;
  serialize: Record<string, unknown>;
}

export class RequestContext {
  readonly requestId = randomBytes(16).toString("hex");
  readonly startedAtMs = Date.now();
  phase: KongPhase = "access";
  method: string;
  /** nginx `$args`: the query string, which `kong.service.request.set_raw_query` rewrites. */
  args: string;
  readonly headers: HeaderStore;
  readonly ctxShared = new Map<string, unknown>();
  readonly ngxCtx = new Map<string, unknown>();
  /** `ngx.header`: client response headers set by the plugin before the response exists. */
  readonly responseHeaders = new HeaderStore();
  upstreamPath: string | null = null;
  upstreamScheme: "http" | "https" | null = null;
  /** `ngx.var.upstream_host`: set by `set_target` and by setting the `host` header. */
  upstreamHostHeader: string | null = null;
  balancerHost: string | null = null;
  balancerPort: number | null = null;
  delayedResponse: DelayedResponse | null = null;
  /** Set when Kong answered 500 because a PDK call raised (ctx.KONG_UNEXPECTED). */
  unexpected = false;
  proxied = false;
  saved: SavedLogData | null = null;

  constructor(readonly incoming: IncomingRequest) {
    this.method = incoming.method.toUpperCase();
    const q = incoming.requestUri.indexOf("?");
    this.args = q >= 0 ? incoming.requestUri.slice(q + 1) : "";
    this.headers = incoming.headers.clone();
  }

  /** nginx `$request_uri` path part (before `?`), undecoded. */
  rawPath(): string {
    const q = this.incoming.requestUri.indexOf("?");
    return q >= 0 ? this.incoming.requestUri.slice(0, q) : this.incoming.requestUri;
  }

  /** nginx `$host`: the Host header without port, lowercased. */
  host(): string {
    const raw = this.headers.first("host") ?? "localhost";
    const withoutPort = raw.startsWith("[") ? raw.slice(0, raw.indexOf("]") + 1) : raw.split(":")[0] ?? raw;
    return withoutPort.toLowerCase();
  }

  setResponseHeader(name: string, value: HeaderValue): void {
    this.responseHeaders.set(name, value);
  }
}
