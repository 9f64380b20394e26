// Forwarding to an upstream as the proxies do: the request line and headers go out as the bytes of their
// byte strings (node:http writes heads as latin1), on keep-alive connections. node:http refuses a value or
// target it cannot send before any socket is taken, so an unsendable request fails alone and never holds a
// pooled connection (undici's pools stalled once enough of those had piled up).
import { Agent, request, type IncomingMessage } from "node:http";
import type { Readable } from "node:stream";
import type { BytePair } from "./types.js";

export interface UpstreamCall {
  method: string;
  /** Path and query as bytes. */
  path: string;
  /** Every header to send, `host` included, as bytes; order and repeats are kept. */
  headers: readonly BytePair[];
  body: Uint8Array | Readable | null;
  signal?: AbortSignal;
}

export interface UpstreamReply {
  status: number;
  /** Response headers as received (names as sent by the upstream, values as bytes). */
  headers: BytePair[];
  body: IncomingMessage;
}

/** The upstream could not be reached or broke before its response head (ECONNREFUSED, reset, ...). */
export class UpstreamConnectError extends Error {
  constructor(message: string, readonly code: string) {
    super(message);
  }
}

/** node:http refused to serialise the request (a header name or value byte HTTP/1 forbids). */
export class UnsendableRequestError extends Error {}

export class UpstreamClient {
  private readonly agent: Agent;
  private readonly url: URL;

  constructor(origin: string, options: { maxSockets?: number; keepAliveMs?: number } = {}) {
    this.url = new URL(origin);
    if (this.url.protocol !== "http:") throw new Error(`only http:// upstreams are supported, got '${origin}'`);
    this.agent = new Agent({ keepAlive: true, maxSockets: options.maxSockets ?? 256, keepAliveMsecs: 1000, timeout: options.keepAliveMs ?? 60_000 });
  }

  send(call: UpstreamCall): Promise<UpstreamReply> {
    return new Promise((resolve, reject) => {
      const flat: string[] = [];
      for (const [name, value] of call.headers) flat.push(name, value);
      let req;
      try {
        req = request({
          agent: this.agent,
          host: this.url.hostname.replace(/^\[|\]$/g, ""),
          port: this.url.port || 80,
          method: call.method,
          path: call.path,
          headers: flat,
          setHost: false,
          signal: call.signal,
        });
      } catch (err) {
        reject(new UnsendableRequestError((err as Error).message));
        return;
      }
      req.on("response", (res) => {
        const headers: BytePair[] = [];
        for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) headers.push([res.rawHeaders[i]!, res.rawHeaders[i + 1]!]);
        resolve({ status: res.statusCode ?? 502, headers, body: res });
      });
      req.on("error", (err: NodeJS.ErrnoException) => reject(new UpstreamConnectError(err.message, err.code ?? "")));
      const body = call.body;
      if (body === null) req.end();
      else if (body instanceof Uint8Array) req.end(body);
      else {
        body.on("error", (err) => req.destroy(err));
        body.pipe(req);
      }
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
