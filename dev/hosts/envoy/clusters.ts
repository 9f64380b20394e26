// Clusters: name → one loopback origin with a keep-alive undici Pool. Used for the filter's
// proxy_http_call (Envoy AsyncClient semantics) and for forwarding routed requests (router).
// A cluster configured with an empty URL exists but has no healthy host.

import type { Readable } from "node:stream";
import { Pool } from "undici";
import { HeaderMap } from "./header-map.js";
import type { Pair } from "./pairs.js";
import type { HttpCallDispatcher, HttpCallOutcome } from "./vm.js";

/** Connection-specific headers HTTP/1 proxies must not forward (RFC 9110 §7.6.1) plus `expect`. */
const HOP_BY_HOP = new Set([
  "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te", "trailer", "expect",
]);

export function isHopByHop(name: string): boolean { return HOP_BY_HOP.has(name); }

export const UPSTREAM_TIMEOUT_BODY = "upstream request timeout";
export const NO_HEALTHY_UPSTREAM_BODY = "no healthy upstream";
export function resetBeforeHeadersBody(reason: string): string {
  return `upstream connect error or disconnect/reset before headers. reset reason: ${reason}`;
}

/** A router-generated reply as Envoy's router builds it (:status, content-length, content-type). */
export function routerReply(status: number, body: string): { headers: HeaderMap; body: Uint8Array } {
  const bytes = Buffer.from(body);
  return {
    headers: new HeaderMap([[":status", String(status)], ["content-length", String(bytes.length)], ["content-type", "text/plain"]]),
    body: bytes,
  };
}

const CONNECT_ERROR_CODES = new Set([
  "ECONNREFUSED", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND", "EAI_AGAIN", "UND_ERR_CONNECT_TIMEOUT", "EADDRNOTAVAIL",
]);

function errorCode(err: unknown): string {
  if (typeof err !== "object" || err === null) return "";
  const code = (err as { code?: unknown }).code;
  if (typeof code === "string") return code;
  const cause = (err as { cause?: unknown }).cause;
  return cause === undefined ? "" : errorCode(cause);
}

/** Envoy's reset reason for a failure before response headers. */
export function resetReason(err: unknown): "connection failure" | "connection termination" {
  return CONNECT_ERROR_CODES.has(errorCode(err)) ? "connection failure" : "connection termination";
}

export class UpstreamFailure extends Error {
  constructor(readonly status: number, readonly body: string, readonly details: string) { super(body); }
}

export interface UpstreamRequest {
  method: string;
  path: string;
  authority: string;
  headers: Pair[];
  body: Uint8Array | Readable | null;
}

export interface UpstreamResponse {
  status: number;
  headers: Pair[];
  body: Readable;
}

function flatHeaders(authority: string, pairs: Iterable<Pair>): string[] {
  const flat = ["host", authority];
  for (const [k, v] of pairs) {
    if (k.startsWith(":") || k === "host" || HOP_BY_HOP.has(k)) continue;
    flat.push(k, v);
  }
  return flat;
}

export function responsePairs(headers: Record<string, string | string[] | undefined>): Pair[] {
  const out: Pair[] = [];
  for (const [k, v] of Object.entries(headers)) {
    const key = k.toLowerCase();
    if (v === undefined || HOP_BY_HOP.has(key)) continue;
    for (const value of Array.isArray(v) ? v : [v]) out.push([key, value]);
  }
  return out;
}

export class ClusterManager implements HttpCallDispatcher {
  private readonly pools = new Map<string, Pool | null>();

  constructor(clusters: Record<string, string>) {
    for (const [name, base] of Object.entries(clusters)) {
      if (base === "") { this.pools.set(name, null); continue; }
      let url: URL;
      try { url = new URL(base); } catch { throw new Error(`clusters.${name}: '${base}' is not a URL`); }
      if (url.protocol !== "http:") throw new Error(`clusters.${name}: only http:// origins are supported, got '${base}'`);
      if (url.pathname !== "/" || url.search !== "") throw new Error(`clusters.${name}: give an origin without a path ('${url.origin}')`);
      this.pools.set(name, new Pool(url.origin, { keepAliveTimeout: 4_000, connections: 256 }));
    }
  }

  hasCluster(name: string): boolean { return this.pools.has(name); }

  httpCall(cluster: string, headers: HeaderMap, body: Uint8Array, timeoutMs: number,
    done: (outcome: HttpCallOutcome) => void): () => void {
    const pool = this.pools.get(cluster);
    if (!pool) {
      done({ kind: "response", ...routerReply(503, NO_HEALTHY_UPSTREAM_BODY), trailers: new HeaderMap() });
      return () => undefined;
    }
    const abort = new AbortController();
    let finished = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (outcome: HttpCallOutcome): void => {
      if (finished) return;
      finished = true;
      if (timer) clearTimeout(timer);
      done(outcome);
    };
    if (timeoutMs > 0) {
      timer = setTimeout(() => {
        finish({ kind: "response", ...routerReply(504, UPSTREAM_TIMEOUT_BODY), trailers: new HeaderMap() });
        abort.abort();
      }, timeoutMs);
      timer.unref();
    }
    pool.request({
      method: headers.get(":method") ?? "GET",
      path: headers.get(":path") ?? "/",
      headers: flatHeaders(headers.get(":authority") ?? "", headers.pairs()),
      body: body.length ? Buffer.from(body) : null,
      signal: abort.signal,
    }).then(async (res) => {
      const responseHeaders = new HeaderMap([[":status", String(res.statusCode)], ...responsePairs(res.headers)]);
      try {
        const data = Buffer.from(await res.body.arrayBuffer());
        finish({ kind: "response", headers: responseHeaders, body: data, trailers: new HeaderMap(responsePairs(res.trailers)) });
      } catch {
        finish({ kind: "reset" });
      }
    }, (err: unknown) => {
      finish({ kind: "response", ...routerReply(503, resetBeforeHeadersBody(resetReason(err))), trailers: new HeaderMap() });
    });
    return () => {
      finished = true;
      if (timer) clearTimeout(timer);
      abort.abort();
    };
  }

  /** Router forwarding. Rejects with UpstreamFailure for failures before response headers. */
  async forward(cluster: string, req: UpstreamRequest, signal: AbortSignal): Promise<UpstreamResponse> {
    const pool = this.pools.get(cluster);
    if (pool === undefined) throw new UpstreamFailure(503, "", "cluster_not_found");
    if (pool === null) throw new UpstreamFailure(503, NO_HEALTHY_UPSTREAM_BODY, "no_healthy_upstream");
    try {
      const res = await pool.request({
        method: req.method,
        path: req.path,
        headers: flatHeaders(req.authority, req.headers),
        body: req.body instanceof Uint8Array ? Buffer.from(req.body.buffer, req.body.byteOffset, req.body.byteLength) : req.body,
        signal,
      });
      return { status: res.statusCode, headers: responsePairs(res.headers), body: res.body };
    } catch (err) {
      if (signal.aborted) throw err;
      const reason = resetReason(err);
      const details = reason === "connection failure"
        ? "upstream_reset_before_response_started{connection_failure}"
        : "upstream_reset_before_response_started{connection_termination}";
      throw new UpstreamFailure(503, resetBeforeHeadersBody(reason), details);
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((p) => (p ? p.destroy().catch(() => undefined) : undefined)));
  }
}
