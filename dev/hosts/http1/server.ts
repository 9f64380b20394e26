// The dev hosts' HTTP/1.1 front: a net.Server that reads request heads as bytes, lets one proxy's WireRules
// accept or refuse them, streams the body (Content-Length or chunked) and writes the response — with keep-alive
// and one request at a time per connection. Nothing is decoded leniently: bytes stay latin1 byte strings.
import { createServer, type Server, type Socket } from "node:net";
import { STATUS_CODES } from "node:http";
import { Readable } from "node:stream";
import { ChunkedDecoder } from "./chunked-decoder.js";
import type { BytePair, HeadLine, Http1Request, Http1Response, Refusal, WireRules } from "./types.js";

export interface Exchange {
  /** Runs once the response was written in full (`true`) or the connection died before that (`false`). */
  onClose(listener: (completed: boolean) => void): void;
}

/** Resolves with the response, or with null to reset the stream (the connection is destroyed). */
export type Http1Handler = (req: Http1Request, exchange: Exchange) => Promise<Http1Response | null>;

export interface Http1ServerOptions {
  rules: WireRules;
  handler: Http1Handler;
  /** Idle time before a keep-alive connection is closed. */
  keepAliveTimeoutMs?: number;
  /** Headers every response gets unless the handler set them (Envoy's `date`, nginx's `Date`). */
  addDate?: boolean;
  /** Called for a refusal or a handler failure (for the host's log). */
  onError?: (message: string) => void;
}

export interface ListeningFront {
  port: number;
  close(): Promise<void>;
}

const EMPTY = Buffer.alloc(0);

function hasHeader(headers: readonly BytePair[], name: string): boolean {
  return headers.some(([n]) => n.toLowerCase() === name);
}

/** Serialises a response head; names and values go out as the bytes of their latin1 strings. */
export function responseHead(status: number, reason: string, headers: readonly BytePair[]): Buffer {
  let head = `HTTP/1.1 ${status} ${reason}\r\n`;
  for (const [name, value] of headers) head += `${name}: ${value}\r\n`;
  return Buffer.from(`${head}\r\n`, "latin1");
}

class Connection {
  private buffered: Buffer = EMPTY;
  private busy = false;
  private closed = false;
  private body: { stream: Readable; length: number | null; chunked: ChunkedDecoder | null } | null = null;
  private bodyComplete = true;
  private readonly closeListeners: Array<(completed: boolean) => void> = [];

  constructor(private readonly socket: Socket, private readonly options: Http1ServerOptions) {
    socket.setNoDelay(true);
    socket.setTimeout(options.keepAliveTimeoutMs ?? 60_000, () => socket.destroy());
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("error", () => undefined);
    socket.on("close", () => this.onSocketClose());
  }

  private onSocketClose(): void {
    this.closed = true;
    this.socket.setTimeout(0);
    if (this.body && !this.bodyComplete) this.body.stream.destroy(new Error("client closed the connection mid-body"));
    this.fireClose(false);
  }

  private fireClose(completed: boolean): void {
    const listeners = this.closeListeners.splice(0);
    for (const listener of listeners) listener(completed);
  }

  private onData(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    this.pump();
  }

  private pump(): void {
    if (this.closed) return;
    if (this.body && !this.bodyComplete) this.feedBody();
    if (!this.busy && this.buffered.length > 0) this.readHead();
  }

  private readHead(): void {
    const { rules } = this.options;
    const lines: HeadLine[] = [];
    let skipped = 0;
    let pos = 0;
    let complete = false;
    const data = this.buffered;
    while (pos < data.length) {
      const lf = data.indexOf(0x0a, pos);
      if (lf < 0 || lf - skipped >= rules.maxHeadBytes) break;
      const text = data.toString("latin1", pos, lf > pos && data[lf - 1] === 0x0d ? lf - 1 : lf);
      if (text === "" && lines.length === 0) {
        skipped = lf + 1; // empty lines before a request line are ignored (RFC 9112 §2.2)
      } else if (text === "") {
        lines.push({ text, start: pos - skipped, end: lf + 1 - skipped });
        pos = lf + 1;
        complete = true;
        break;
      } else {
        lines.push({ text, start: pos - skipped, end: lf + 1 - skipped });
      }
      pos = lf + 1;
    }
    if (!complete) {
      if (data.length - skipped < rules.maxHeadBytes) return; // wait for more bytes
      const cut = Math.min(data.length, skipped + rules.maxHeadBytes);
      if (pos < cut) lines.push({ text: data.toString("latin1", pos, cut), start: pos - skipped, end: cut - skipped });
    }
    const verdict = rules.readHead(lines, complete);
    if ("refused" in verdict) {
      this.refuse(verdict.refused);
      return;
    }
    this.buffered = data.subarray(pos);
    const head = verdict.accepted;
    this.busy = true;
    let stream: Readable | null = null;
    if (head.framing.kind !== "none") {
      stream = new Readable({ read: () => this.socket.resume() });
      this.body = {
        stream,
        length: head.framing.kind === "length" ? head.framing.length : null,
        chunked: head.framing.kind === "chunked" ? new ChunkedDecoder() : null,
      };
      this.bodyComplete = false;
      this.feedBody();
    } else {
      this.body = null;
      this.bodyComplete = true;
    }
    const request: Http1Request = {
      head,
      body: stream,
      remoteAddress: (this.socket.remoteAddress ?? "127.0.0.1").replace(/^::ffff:/, ""),
      remotePort: this.socket.remotePort ?? 0,
      localAddress: (this.socket.localAddress ?? "127.0.0.1").replace(/^::ffff:/, ""),
      localPort: this.socket.localPort ?? 0,
      connection: this,
    };
    const exchange: Exchange = { onClose: (listener) => this.closeListeners.push(listener) };
    this.options.handler(request, exchange).then(
      (response) => {
        if (response === null) this.socket.destroy();
        else void this.respond(response, head.method === "HEAD", head.keepAlive);
      },
      (err: unknown) => {
        this.options.onError?.(`handler failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
        this.socket.destroy();
      },
    );
  }

  private feedBody(): void {
    const body = this.body;
    if (!body || this.bodyComplete) return;
    if (body.chunked) {
      let decoded: { data: Buffer[]; used: number };
      try {
        decoded = body.chunked.feed(this.buffered);
      } catch (err) {
        body.stream.destroy(err as Error);
        this.bodyComplete = true;
        this.refuse(this.options.rules.badBody((err as Error).message));
        return;
      }
      this.buffered = this.buffered.subarray(decoded.used);
      for (const piece of decoded.data) if (piece.length > 0 && !body.stream.push(Buffer.from(piece))) this.socket.pause();
      if (body.chunked.done) this.finishBody();
      return;
    }
    const need = body.length ?? 0;
    const take = Math.min(need, this.buffered.length);
    if (take > 0) {
      const piece = Buffer.from(this.buffered.subarray(0, take));
      this.buffered = this.buffered.subarray(take);
      body.length = need - take;
      if (!body.stream.push(piece)) this.socket.pause();
    }
    if (body.length === 0) this.finishBody();
  }

  private finishBody(): void {
    this.bodyComplete = true;
    this.body?.stream.push(null);
  }

  /** Sends a proxy's own refusal and closes the connection, as nginx and Envoy do for a bad request head. */
  private refuse(refusal: Refusal): void {
    this.options.onError?.(`refused ${refusal.status}: ${refusal.detail}`);
    const body = Buffer.from(refusal.body, "latin1");
    const headers: BytePair[] = [...refusal.headers, ["Content-Length", String(body.length)], ["Connection", "close"]];
    this.busy = true;
    this.buffered = EMPTY;
    this.closed = true; // a handler still running must not write after this
    this.socket.end(Buffer.concat([responseHead(refusal.status, refusal.reason, this.withDate(headers)), body]));
  }

  private withDate(headers: BytePair[]): BytePair[] {
    if (!this.options.addDate || hasHeader(headers, "date")) return headers;
    return [...headers, ["Date", new Date().toUTCString()]];
  }

  private async respond(response: Http1Response, isHead: boolean, keepAliveWanted: boolean): Promise<void> {
    if (this.closed) return;
    const keepAlive = keepAliveWanted && this.bodyComplete;
    const headers: BytePair[] = response.headers.filter(([n]) => {
      const lower = n.toLowerCase();
      return lower !== "connection" && lower !== "transfer-encoding" && !(lower === "content-length" && response.body instanceof Uint8Array);
    });
    const noBody = isHead || response.status === 204 || response.status === 304 || (response.status >= 100 && response.status < 200);
    let chunked = false;
    if (response.body instanceof Uint8Array) {
      if (response.status !== 204 && response.status !== 304) headers.push(["Content-Length", String(response.body.byteLength)]);
    } else if (!hasHeader(headers, "content-length") && !noBody) {
      headers.push(["Transfer-Encoding", "chunked"]);
      chunked = true;
    }
    headers.push(["Connection", keepAlive ? "keep-alive" : "close"]);
    const head = responseHead(response.status, STATUS_CODES[response.status] ?? "Unknown", this.withDate(headers));
    try {
      if (response.body instanceof Uint8Array) {
        this.socket.write(noBody ? head : Buffer.concat([head, response.body]));
      } else {
        this.socket.write(head);
        if (noBody) response.body.resume();
        else await this.streamBody(response.body, chunked);
      }
    } catch (err) {
      this.options.onError?.(`response body failed: ${(err as Error).message}`);
      this.socket.destroy();
      return;
    }
    if (this.closed) return;
    this.busy = false;
    this.fireClose(true);
    if (!keepAlive) {
      this.socket.end();
      return;
    }
    this.pump();
  }

  private async streamBody(body: Readable, chunked: boolean): Promise<void> {
    for await (const piece of body) {
      const bytes = Buffer.isBuffer(piece) ? piece : Buffer.from(piece as Uint8Array);
      if (bytes.length === 0) continue;
      const ok = this.socket.write(chunked ? Buffer.concat([Buffer.from(`${bytes.length.toString(16)}\r\n`), bytes, Buffer.from("\r\n")]) : bytes);
      if (!ok) await new Promise<void>((resolve) => this.socket.once("drain", resolve));
      if (this.closed) throw new Error("client went away");
    }
    if (chunked) this.socket.write("0\r\n\r\n");
  }
}

/** Starts the front on `host:port` (port 0 picks a free one). */
export async function listenHttp1(options: Http1ServerOptions, port = 0, host = "127.0.0.1"): Promise<ListeningFront> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    new Connection(socket, options);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  return {
    port: typeof address === "object" && address ? address.port : port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}
