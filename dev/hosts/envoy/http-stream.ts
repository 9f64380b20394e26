// One HTTP stream through the wasm filter, emulating what Envoy's connection manager, filter
// manager and router do around it: request-header mutation by the HCM, lazy context creation,
// Pause → StopAll (nothing else reaches the filter until continue), deferred continue/local
// reply/reset, route (re)resolution, forwarding, the encode path, then on_log → on_done → on_delete.

import { randomUUID } from "node:crypto";
import { Readable } from "node:stream";
import { DataStatus, HeadersStatus } from "./abi.js";
import { MutableBuffer } from "./buffers.js";
import {
  isHopByHop, routerReply, UPSTREAM_TIMEOUT_BODY, UpstreamFailure, type ClusterManager, type UpstreamResponse,
} from "./clusters.js";
import type { StreamContext } from "./contexts.js";
import { HeaderMap } from "./header-map.js";
import type { Pair } from "./pairs.js";
import type { RouteResult, RouteTable } from "./router.js";
import type { LocalReply, StreamCallbacks, StreamInfo } from "./stream-types.js";
import type { WasmVm } from "./vm.js";

export interface DownstreamRequest {
  method: string;
  path: string;
  authority: string;
  scheme: string;
  protocol: string;
  /** Lower-cased request headers without `host`. */
  headers: Pair[];
  /** null when the request has no body (end_of_stream on the headers). */
  body: Uint8Array | Readable | null;
  clientAddress: string;
  localAddress: string;
  connectionId: number;
}

export interface StreamResponse {
  status: number;
  headers: HeaderMap;
  body: Uint8Array | Readable;
  local: boolean;
  cluster: string | null;
  details: string;
  /** The stream was reset (proxy_close_stream or downstream abort): no response is sent. */
  reset: boolean;
}

export interface StreamDeps {
  vm: WasmVm;
  router: RouteTable;
  clusters: ClusterManager;
  timeoutMs: number;
  /** Upper bound for bodies the host buffers because the filter has a body callback. */
  maxBufferedBody: number;
}

type Terminal =
  | { kind: "local"; reply: LocalReply; viaFilterChain: boolean }
  | { kind: "reset"; details: string };

const EMPTY = new Uint8Array(0);

export async function collectBody(body: Uint8Array | Readable | null, limit = Infinity): Promise<Buffer> {
  if (body === null) return Buffer.alloc(0);
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += b.length;
    if (size > limit) throw new Error("body too large");
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

function bodyIsEmpty(body: Uint8Array | Readable | null): boolean {
  return body === null || (body instanceof Uint8Array && body.length === 0);
}

export class HttpStream implements StreamCallbacks {
  readonly info: StreamInfo;
  private readonly ctx: StreamContext;
  private readonly requestHeaders: HeaderMap;
  private responseHeadersMap: HeaderMap | null = null;
  private route: RouteResult | null = null;
  private routeDirty = false;
  private phase: "decode" | "encode" | "done" = "decode";
  private terminal: Terminal | null = null;
  private decodeContinued = false;
  private encodeContinued = false;
  private timedOut = false;
  private wake: (() => void) | null = null;
  private timer: NodeJS.Timeout | undefined;
  private upstreamAbort: AbortController | null = null;
  private completed = false;

  constructor(private readonly deps: StreamDeps, private readonly req: DownstreamRequest) {
    const headers = new HeaderMap([
      [":authority", req.authority], [":path", req.path], [":method", req.method.toUpperCase()], [":scheme", req.scheme],
    ]);
    for (const [k, v] of req.headers) if (k !== "host" && !isHopByHop(k)) headers.add(k, v);
    if (!headers.has("x-forwarded-proto")) headers.add("x-forwarded-proto", req.scheme);
    if (!headers.has("x-request-id")) headers.add("x-request-id", randomUUID());
    this.requestHeaders = headers;
    const stream = this;
    this.info = {
      connectionId: req.connectionId,
      clientAddress: req.clientAddress,
      localAddress: req.localAddress,
      protocol: req.protocol,
      startTimeMs: deps.vm.env.clock.nowMs(),
      responseCode: null,
      responseCodeDetails: null,
      routeName: null,
      clusterName: null,
      filterState: new Map(),
      requestHeaders: () => stream.requestHeaders,
      responseHeaders: () => stream.responseHeadersMap,
    };
    this.ctx = deps.vm.createStreamContext(this);
  }

  // ---- StreamCallbacks (called from deferred actions or CHECK_FAIL) ----

  continueDecoding(): void { this.decodeContinued = true; this.signal(); }
  continueEncoding(): void { this.encodeContinued = true; this.signal(); }
  clearRouteCache(): void { this.routeDirty = true; }

  sendLocalReply(reply: LocalReply): void {
    if (this.terminal || this.phase === "done") return;
    this.terminal = { kind: "local", reply, viaFilterChain: true };
    this.upstreamAbort?.abort();
    this.signal();
  }

  resetStream(details: string): void {
    if (this.terminal?.kind === "reset" || this.phase === "done") return;
    this.terminal = { kind: "reset", details };
    this.upstreamAbort?.abort();
    this.signal();
  }

  failStream(): void {
    if (this.terminal || this.phase === "done") return;
    this.terminal = {
      kind: "local",
      reply: { status: 503, body: EMPTY, headers: [], details: "wasm_fail_stream", grpcStatus: 14 },
      viaFilterChain: false,
    };
    this.upstreamAbort?.abort();
    this.signal();
  }

  /** The downstream went away before the response was complete: Envoy resets the stream. */
  abortDownstream(): void { this.resetStream("downstream_remote_disconnect"); }

  private signal(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  private async waitFor(cond: () => boolean): Promise<void> {
    while (!cond() && !this.terminal && !this.timedOut) {
      await new Promise<void>((resolve) => { this.wake = resolve; });
    }
  }

  // ---- the stream ----

  async process(): Promise<StreamResponse> {
    this.armTimeout();
    try {
      return await this.run();
    } finally {
      clearTimeout(this.timer);
      this.phase = "done";
    }
  }

  private armTimeout(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timedOut = true;
      this.upstreamAbort?.abort();
      this.signal();
    }, this.deps.timeoutMs);
  }

  private async run(): Promise<StreamResponse> {
    const { vm } = this.deps;
    const ctx = this.ctx;
    this.route = this.deps.router.resolve(this.requestHeaders);
    const endOfStream = bodyIsEmpty(this.req.body);
    const filterReadsBody = !endOfStream && vm.hasExport("proxy_on_request_body");
    // Envoy buffers the body while the filter holds the headers (StopAll): read it in the background.
    const bufferedBody = filterReadsBody ? collectBody(this.req.body, this.deps.maxBufferedBody) : null;
    bufferedBody?.catch(() => undefined);

    ctx.onCreate();
    ctx.requestHeaders = this.requestHeaders;
    this.decodeContinued = false;
    const headersStatus = ctx.onRequestHeaders(this.requestHeaders.size, endOfStream);
    if (headersStatus === HeadersStatus.Continue || headersStatus === HeadersStatus.ContinueAndEndStream) {
      ctx.requestHeaders = null;
    } else {
      await this.waitFor(() => this.decodeContinued);
    }
    const afterHeaders = this.settle("stream_timeout");
    if (afterHeaders) return afterHeaders;

    let forwardBody: Uint8Array | Readable | null = endOfStream ? null : this.req.body;
    if (bufferedBody) {
      let bytes: Buffer;
      try {
        bytes = await bufferedBody;
      } catch {
        return this.respondLocal({ status: 413, body: Buffer.from("Payload Too Large"), headers: [], details: "request_payload_too_large", grpcStatus: null }, true);
      }
      const buffer = new MutableBuffer(bytes);
      ctx.requestBody = buffer;
      this.decodeContinued = false;
      const dataStatus = ctx.onRequestBody(bytes.length, true);
      if (dataStatus === DataStatus.Continue) ctx.requestBody = null;
      else await this.waitFor(() => this.decodeContinued);
      const afterBody = this.settle("stream_timeout");
      if (afterBody) return afterBody;
      forwardBody = buffer.data;
    }
    return this.routeAndForward(forwardBody);
  }

  /** Handles a terminal event or a timeout that happened while decoding; null = go on. */
  private settle(timeoutDetails: string): Promise<StreamResponse> | null {
    const t = this.terminal;
    if (t?.kind === "reset") return Promise.resolve(this.resetResponse());
    if (t?.kind === "local") return this.respondLocal(t.reply, t.viaFilterChain);
    if (this.timedOut) {
      // The 504 itself goes through the filter; give that its own deadline.
      this.timedOut = false;
      this.armTimeout();
      return this.respondLocal(this.timeoutReply(timeoutDetails), true);
    }
    return null;
  }

  private timeoutReply(details: string): LocalReply {
    return { status: 504, body: Buffer.from(UPSTREAM_TIMEOUT_BODY), headers: [["content-type", "text/plain"]], details, grpcStatus: null };
  }

  private resetResponse(): StreamResponse {
    this.info.responseCodeDetails = this.terminal?.kind === "reset" ? this.terminal.details : "reset";
    return { status: 0, headers: new HeaderMap(), body: EMPTY, local: true, cluster: this.route?.cluster ?? null, details: this.info.responseCodeDetails, reset: true };
  }

  private async routeAndForward(body: Uint8Array | Readable | null): Promise<StreamResponse> {
    if (this.routeDirty) {
      this.route = this.deps.router.resolve(this.requestHeaders);
      this.routeDirty = false;
    }
    const route = this.route;
    if (!route) return this.respondLocal({ status: 404, body: EMPTY, headers: [], details: "route_not_found", grpcStatus: null }, true);
    this.info.routeName = route.name;
    this.info.clusterName = route.cluster;

    const headers = this.requestHeaders.pairs().filter(([k]) => !(k === "content-length" && body instanceof Uint8Array));
    const abort = new AbortController();
    this.upstreamAbort = abort;
    if (this.timedOut || this.terminal) abort.abort();
    let upstream: UpstreamResponse;
    try {
      upstream = await this.deps.clusters.forward(route.cluster, {
        method: this.requestHeaders.get(":method") ?? "GET",
        path: this.requestHeaders.get(":path") ?? "/",
        authority: this.requestHeaders.get(":authority") ?? "",
        headers,
        body,
      }, abort.signal);
    } catch (err) {
      const settled = this.settle("upstream_response_timeout");
      if (settled) return settled;
      if (err instanceof UpstreamFailure) {
        const reply = err.body ? routerReply(err.status, err.body) : null;
        return this.respondLocal({ status: err.status, body: reply?.body ?? EMPTY, headers: [["content-type", "text/plain"]], details: err.details, grpcStatus: null }, true);
      }
      throw err;
    } finally {
      this.upstreamAbort = null;
    }
    const responseHeaders = new HeaderMap([[":status", String(upstream.status)], ...upstream.headers]);
    const method = this.requestHeaders.get(":method");
    const noBody = method === "HEAD" || upstream.status === 204 || upstream.status === 304 || responseHeaders.get("content-length") === "0";
    if (noBody) upstream.body.resume();
    return this.encode(responseHeaders, noBody ? null : upstream.body, { local: false, cluster: route.cluster, details: "via_upstream" });
  }

  /** A local reply (filter, router or HCM) sent through the encoder filters like Envoy's sendLocalReply. */
  private respondLocal(reply: LocalReply, viaFilterChain: boolean): Promise<StreamResponse> {
    const { headers, body } = this.localReplyParts(reply);
    const meta = { local: true, cluster: null, details: reply.details };
    this.terminal = null;
    if (!viaFilterChain || !this.ctx.inVmContextCreated || this.ctx.failureLocalReplySent) {
      return Promise.resolve(this.finish(headers, body, meta));
    }
    return this.encode(headers, body.length ? body : null, meta);
  }

  private localReplyParts(reply: LocalReply): { headers: HeaderMap; body: Uint8Array } {
    const headers = new HeaderMap([[":status", String(reply.status)]]);
    for (const [k, v] of reply.headers) headers.add(k, v);
    headers.set("content-length", String(reply.body.length));
    if (reply.body.length > 0 && !headers.has("content-type")) headers.add("content-type", "text/plain");
    return { headers, body: reply.body };
  }

  private async encode(headers: HeaderMap, body: Uint8Array | Readable | null,
    meta: { local: boolean; cluster: string | null; details: string }): Promise<StreamResponse> {
    const ctx = this.ctx;
    this.phase = "encode";
    this.responseHeadersMap = headers;
    this.info.responseCode = Number(headers.get(":status"));
    this.info.responseCodeDetails = meta.details;
    const endOfStream = bodyIsEmpty(body);
    ctx.responseHeaders = headers;
    this.encodeContinued = false;
    const headersStatus = ctx.onResponseHeaders(headers.size, endOfStream);
    if (headersStatus === HeadersStatus.Continue || headersStatus === HeadersStatus.ContinueAndEndStream) {
      ctx.responseHeaders = null;
    } else {
      await this.waitFor(() => this.encodeContinued);
    }
    const replaced = this.replaceWhileEncoding(body);
    if (replaced) return replaced;

    let finalBody: Uint8Array | Readable = body ?? EMPTY;
    if (!endOfStream && this.deps.vm.hasExport("proxy_on_response_body")) {
      let bytes: Buffer;
      try {
        bytes = await collectBody(body);
      } catch {
        return this.resetResponse();
      }
      const buffer = new MutableBuffer(bytes);
      ctx.responseBody = buffer;
      this.encodeContinued = false;
      const dataStatus = ctx.onResponseBody(bytes.length, true);
      if (dataStatus === DataStatus.Continue) ctx.responseBody = null;
      else await this.waitFor(() => this.encodeContinued);
      const replacedAfterBody = this.replaceWhileEncoding(null);
      if (replacedAfterBody) return replacedAfterBody;
      finalBody = buffer.data;
      headers.set("content-length", String(buffer.data.length));
    }
    return this.finish(headers, finalBody, meta);
  }

  /** A local reply, reset or timeout during encoding replaces the response (Envoy sendDirectLocalReply). */
  private replaceWhileEncoding(pendingBody: Uint8Array | Readable | null): StreamResponse | null {
    const t = this.terminal;
    if (!t && !this.timedOut) return null;
    if (pendingBody instanceof Readable) pendingBody.destroy();
    if (t?.kind === "reset") return this.resetResponse();
    const reply = t?.kind === "local" ? t.reply : this.timeoutReply("stream_timeout");
    const { headers, body } = this.localReplyParts(reply);
    return this.finish(headers, body, { local: true, cluster: null, details: reply.details });
  }

  private finish(headers: HeaderMap, body: Uint8Array | Readable,
    meta: { local: boolean; cluster: string | null; details: string }): StreamResponse {
    this.responseHeadersMap = headers;
    const status = Number(headers.get(":status")) || 0;
    this.info.responseCode = status;
    this.info.responseCodeDetails = meta.details;
    return { status, headers, body, local: meta.local, cluster: meta.cluster, details: meta.details, reset: false };
  }

  /** After the response was delivered (or the stream reset): on_log → on_done → on_delete. */
  complete(): void {
    if (this.completed) return;
    this.completed = true;
    this.phase = "done";
    clearTimeout(this.timer);
    this.ctx.onLog(this.requestHeaders, this.responseHeadersMap);
    this.ctx.onDestroy();
    this.deps.vm.releaseStreamContext(this.ctx);
  }
}
