// Clusters: name → one loopback origin with a keep-alive client that sends header bytes as they are
// (../http1/upstream-client.ts). Used for the filter's proxy_http_call (Envoy AsyncClient semantics) and for
// forwarding routed requests (router). A cluster configured with an empty URL exists but has no healthy host.

import type { Readable } from "node:stream";
import { UpstreamClient, type UpstreamReply } from "../http1/upstream-client.js";
import { SYSTEM_CLOCK, type HostClock } from "./clock.js";
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

/** What Envoy's HTTP/1 encoder writes: `host` from :authority, then every regular header, bytes unchanged. */
function upstreamHeaders(authority: string, pairs: Iterable<Pair>): Pair[] {
  const out: Pair[] = [["host", authority]];
  for (const [k, v] of pairs) {
    if (k.startsWith(":") || k === "host" || HOP_BY_HOP.has(k)) continue;
    out.push([k, v]);
  }
  return out;
}

/** Response headers as received, names lower-cased like Envoy's header map, hop-by-hop ones dropped. */
export function responsePairs(headers: readonly Pair[]): Pair[] {
  const out: Pair[] = [];
  for (const [k, v] of headers) {
    const key = k.toLowerCase();
    if (!HOP_BY_HOP.has(key)) out.push([key, v]);
  }
  return out;
}

async function readAll(reply: UpstreamReply): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of reply.body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function trailerPairs(reply: UpstreamReply): Pair[] {
  const raw = reply.body.rawTrailers;
  const out: Pair[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) out.push([raw[i]!, raw[i + 1]!]);
  return responsePairs(out);
}

export class ClusterManager implements HttpCallDispatcher {
  private readonly pools = new Map<string, UpstreamClient | null>();

  /** `clock` times proxy_http_call timeouts: Envoy arms them on the dispatcher, whose TimeSource the filter's
   *  proxy_get_current_time reads too, so a call's measured duration and its timeout agree. */
  constructor(clusters: Record<string, string>, private readonly clock: HostClock = SYSTEM_CLOCK) {
    for (const [name, base] of Object.entries(clusters)) {
      if (base === "") { this.pools.set(name, null); continue; }
      let url: URL;
      try { url = new URL(base); } catch { throw new Error(`clusters.${name}: '${base}' is not a URL`); }
      if (url.protocol !== "http:") throw new Error(`clusters.${name}: only http:// origins are supported, got '${base}'`);
      if (url.pathname !== "/" || url.search !== "") throw new Error(`clusters.${name}: give an origin without a path ('${url.origin}')`);
      this.pools.set(name, new UpstreamClient(url.origin, { maxSockets: 256, keepAliveMs: 4_000 }));
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
    let cancelTimeout: (() => void) | undefined;
    const finish = (outcome: HttpCallOutcome): void => {
      if (finished) return;
      finished = true;
      cancelTimeout?.();
      done(outcome);
    };
    if (timeoutMs > 0) {
      cancelTimeout = this.clock.schedule(timeoutMs, () => {
        finish({ kind: "response", ...routerReply(504, UPSTREAM_TIMEOUT_BODY), trailers: new HeaderMap() });
        abort.abort();
      });
    }
    pool.send({
      method: headers.get(":method") ?? "GET",
      path: headers.get(":path") ?? "/",
      headers: upstreamHeaders(headers.get(":authority") ?? "", headers.pairs()),
      body: body.length ? Buffer.from(body) : null,
      signal: abort.signal,
    }).then(async (res) => {
      const responseHeaders = new HeaderMap([[":status", String(res.status)], ...responsePairs(res.headers)]);
      try {
        const data = await readAll(res);
        finish({ kind: "response", headers: responseHeaders, body: data, trailers: new HeaderMap(trailerPairs(res)) });
      } catch {
        finish({ kind: "reset" });
      }
    }, (err: unknown) => {
      finish({ kind: "response", ...routerReply(503, resetBeforeHeadersBody(resetReason(err))), trailers: new HeaderMap() });
    });
    return () => {
      finished = true;
      cancelTimeout?.();
      abort.abort();
    };
  }

  /** Router forwarding. Rejects with UpstreamFailure for failures before response headers. */
  async forward(cluster: string, req: UpstreamRequest, signal: AbortSignal): Promise<UpstreamResponse> {
    const pool = this.pools.get(cluster);
    if (pool === undefined) throw new UpstreamFailure(503, "", "cluster_not_found");
    if (pool === null) throw new UpstreamFailure(503, NO_HEALTHY_UPSTREAM_BODY, "no_healthy_upstream");
    try {
      const res = await pool.send({
        method: req.method,
        path: req.path,
        headers: upstreamHeaders(req.authority, req.headers),
        body: req.body,
        signal,
      });
      return { status: res.status, headers: responsePairs(res.headers), body: res.body };
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
    for (const client of this.pools.values()) client?.close();
  }
}
