// A raw HTTP/1.1 client for tests: the bytes you give go on the wire unchanged over a net.Socket, and the
// response comes back as bytes — status, header lines as byte pairs (latin1 strings, one char per byte), body.
// No HTTP library sits in between, so nothing is validated, normalised or re-encoded on the client side.
import { connect, type Socket } from "node:net";

/** Header names and values as latin1 byte strings, in the order received. */
export type RawHeaders = Array<[string, string]>;

export interface RawResponse {
  status: number;
  reason: string;
  headers: RawHeaders;
  body: Buffer;
}

export interface RawRequestSpec {
  method?: string;
  /** The request target exactly as it goes on the wire (a string is taken as latin1 bytes). */
  target: string | Buffer;
  /** Header lines in order; names and values as latin1 strings or Buffers. No Host is added for you. */
  headers?: Array<[string | Buffer, string | Buffer]>;
  body?: string | Buffer;
  /** Default "HTTP/1.1". */
  version?: string;
}

const bytes = (v: string | Buffer): Buffer => (typeof v === "string" ? Buffer.from(v, "latin1") : v);

/** Serialises a request head (+ body) from parts, CRLF line ends; nothing is added or checked. */
export function rawRequestBytes(spec: RawRequestSpec): Buffer {
  const parts: Buffer[] = [bytes(`${spec.method ?? "GET"} `), bytes(spec.target), bytes(` ${spec.version ?? "HTTP/1.1"}\r\n`)];
  for (const [name, value] of spec.headers ?? []) parts.push(bytes(name), bytes(": "), bytes(value), bytes("\r\n"));
  parts.push(bytes("\r\n"));
  if (spec.body !== undefined) parts.push(bytes(spec.body));
  return Buffer.concat(parts);
}

/** The first value of a header (case-insensitive name) as a latin1 byte string. */
export function rawHeader(response: RawResponse, name: string): string | undefined {
  const wanted = name.toLowerCase();
  return response.headers.find(([n]) => n.toLowerCase() === wanted)?.[1];
}

/** Tries to cut one response off the front of `data`; null when more bytes are needed (or the peer must close). */
function parseResponse(data: Buffer, ended: boolean, noBody: boolean): { response: RawResponse; used: number } | null {
  const headEnd = data.indexOf("\r\n\r\n");
  if (headEnd < 0) return null;
  const lines = data.toString("latin1", 0, headEnd).split("\r\n");
  const statusLine = /^HTTP\/1\.[01] (\d{3}) ?(.*)$/.exec(lines[0] ?? "");
  if (!statusLine) throw new Error(`not an HTTP/1 status line: ${JSON.stringify(lines[0])}`);
  const headers: RawHeaders = lines.slice(1).map((line) => {
    const colon = line.indexOf(":");
    return [line.slice(0, colon), line.slice(colon + 1).trim()];
  });
  const status = Number(statusLine[1]);
  const find = (n: string): string | undefined => headers.find(([k]) => k.toLowerCase() === n)?.[1];
  let pos = headEnd + 4;
  const done = (body: Buffer): { response: RawResponse; used: number } => ({ response: { status, reason: statusLine[2] ?? "", headers, body }, used: pos });
  if (noBody || status === 204 || status === 304 || (status >= 100 && status < 200)) return done(Buffer.alloc(0));
  if (find("transfer-encoding")?.toLowerCase() === "chunked") {
    const chunks: Buffer[] = [];
    for (;;) {
      const lineEnd = data.indexOf("\r\n", pos);
      if (lineEnd < 0) return null;
      const size = parseInt(data.toString("latin1", pos, lineEnd), 16);
      if (Number.isNaN(size)) throw new Error("bad chunk size in response");
      if (size === 0) {
        let p = lineEnd + 2; // trailer lines until an empty one
        for (;;) {
          const end = data.indexOf("\r\n", p);
          if (end < 0) return null;
          if (end === p) break;
          p = end + 2;
        }
        pos = p + 2;
        return done(Buffer.concat(chunks));
      }
      if (data.length < lineEnd + 2 + size + 2) return null;
      chunks.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
      pos = lineEnd + 2 + size + 2;
    }
  }
  const length = find("content-length");
  if (length !== undefined) {
    const n = Number(length);
    if (data.length < pos + n) return null;
    const body = data.subarray(pos, pos + n);
    pos += n;
    return done(Buffer.from(body));
  }
  if (!ended) return null;
  const body = data.subarray(pos);
  pos = data.length;
  return done(Buffer.from(body));
}

/** One client connection: send bytes, read responses in order (keep-alive and pipelining work). */
export class RawConnection {
  private buffered = Buffer.alloc(0);
  private ended = false;
  private waiter: (() => void) | null = null;
  private failure: Error | null = null;

  private constructor(private readonly socket: Socket) {
    socket.on("data", (chunk: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, chunk]);
      this.wake();
    });
    socket.on("end", () => {
      this.ended = true;
      this.wake();
    });
    socket.on("close", () => {
      this.ended = true;
      this.wake();
    });
    socket.on("error", (err) => {
      this.failure = err;
      this.ended = true;
      this.wake();
    });
  }

  static open(port: number, host = "127.0.0.1"): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, host);
      socket.once("connect", () => {
        socket.off("error", reject);
        resolve(new RawConnection(socket));
      });
      socket.once("error", reject);
    });
  }

  /** True once the server closed its side. */
  get closedByPeer(): boolean {
    return this.ended;
  }

  send(data: Buffer | RawRequestSpec): void {
    this.socket.write(Buffer.isBuffer(data) ? data : rawRequestBytes(data));
  }

  /** The next response; `noBody` for the answer to a HEAD request. Rejects if the peer closes first. */
  async read(options: { noBody?: boolean; timeoutMs?: number } = {}): Promise<RawResponse> {
    const deadline = Date.now() + (options.timeoutMs ?? 30_000);
    for (;;) {
      const parsed = parseResponse(this.buffered, this.ended, options.noBody ?? false);
      if (parsed) {
        this.buffered = this.buffered.subarray(parsed.used);
        return parsed.response;
      }
      if (this.ended) throw this.failure ?? new Error(`connection closed before a full response (${this.buffered.length} bytes buffered)`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error("no full response before the deadline");
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  /** Resolves once the peer has closed the connection (e.g. after a refusal). */
  async waitClosed(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.ended) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error("the peer kept the connection open");
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  close(): void {
    this.socket.destroy();
  }

  private wake(): void {
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.();
  }
}

/** Opens a connection, sends the bytes, reads one response, closes. */
export async function rawRequest(port: number, request: Buffer | RawRequestSpec, options: { noBody?: boolean; timeoutMs?: number } = {}): Promise<RawResponse> {
  const connection = await RawConnection.open(port);
  try {
    connection.send(request);
    return await connection.read(options);
  } finally {
    connection.close();
  }
}

/** The hex of a byte string (one character per byte), as the echo upstream reports received bytes. */
export const latin1Hex = (latin1: string): string => Buffer.from(latin1, "latin1").toString("hex");

/** A raw request through a gateway front: origin-form `target`, a Host header, then `headers` in order. */
export function sendRaw(port: number, target: string, headers: RawHeaders = [], extra: Partial<RawRequestSpec> = {}): Promise<RawResponse> {
  return rawRequest(port, { target, headers: [["Host", "gw.test"], ...headers], ...extra });
}
