// Requests as raw bytes over a TCP socket to a gateway's HTTP front, so a test can send what nginx and Envoy
// accept on the wire (non-ASCII request targets, invalid UTF-8 in values, any header name spelling) without a
// client library normalising it first. One request per connection (`connection: close`).
import { connect } from "node:net";

export interface RawResponse {
  status: number;
  /** Names lower-cased, values as latin1 (one character per byte). */
  headers: Array<[string, string]>;
  body: Buffer;
}

/** Builds `GET <target> HTTP/1.1` with the headers in order; `target` and values are byte strings (latin1). */
export function rawRequest(target: string, headers: Array<[string, string]>, method = "GET"): Buffer {
  let head = `${method} ${target} HTTP/1.1\r\n`;
  for (const [name, value] of headers) head += `${name}: ${value}\r\n`;
  return Buffer.from(head + "connection: close\r\n\r\n", "latin1");
}

export function sendRaw(port: number, request: Buffer, timeoutMs: number): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect({ host: "127.0.0.1", port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete answer within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.on("close", () => {
      clearTimeout(timer);
      try {
        resolve(parseResponse(Buffer.concat(chunks)));
      } catch (err) {
        reject(err);
      }
    });
    socket.write(request); // not end(): a half-closed request is dropped by servers that do not allow half-open sockets
  });
}

function parseResponse(bytes: Buffer): RawResponse {
  const end = bytes.indexOf("\r\n\r\n");
  if (end < 0) throw new Error(`no response head in ${bytes.length} bytes`);
  const lines = bytes.subarray(0, end).toString("latin1").split("\r\n");
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? "");
  if (!status) throw new Error(`bad status line ${JSON.stringify(lines[0])}`);
  const headers: Array<[string, string]> = [];
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    if (colon > 0) headers.push([line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()]);
  }
  const rest = bytes.subarray(end + 4);
  const chunked = headers.some(([n, v]) => n === "transfer-encoding" && /chunked/i.test(v));
  return { status: Number(status[1]), headers, body: chunked ? dechunk(rest) : rest };
}

function dechunk(bytes: Buffer): Buffer {
  const out: Buffer[] = [];
  let at = 0;
  while (at < bytes.length) {
    const lineEnd = bytes.indexOf("\r\n", at);
    if (lineEnd < 0) break;
    const size = parseInt(bytes.subarray(at, lineEnd).toString("latin1"), 16);
    if (!Number.isFinite(size) || size === 0) break;
    out.push(bytes.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(out);
}

export function headerOf(r: RawResponse, name: string): string | undefined {
  return r.headers.find(([n]) => n === name)?.[1];
}

/** What the echo upstream saw (variant, and the request headers by lower-case name), or null for a local reply. */
export function echoed(r: RawResponse): { variant: "stable" | "canary"; headers: Record<string, string>; path: string } | null {
  try {
    const body = JSON.parse(r.body.toString("utf8")) as { variant?: unknown; headers?: Record<string, string>; path?: string };
    if (body.variant === "stable" || body.variant === "canary") return { variant: body.variant, headers: body.headers ?? {}, path: body.path ?? "" };
  } catch {
    // a local reply or a non-JSON body
  }
  return null;
}
