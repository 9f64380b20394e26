// What nginx (OpenResty 1.25.3, as Kong 3.9 ships and configures it) accepts on the wire, for the Kong host's
// HTTP/1 front. Each rule names the nginx function it follows; README.md ("On the wire") explains them.
import { randomBytes } from "node:crypto";
import { bodyFraming, wantsKeepAlive } from "../http1/framing.js";
import type { BytePair, HeadLine, HeadVerdict, Refusal, WireRules } from "../http1/types.js";
import { KONG_VERSION } from "./kong-response.js";
import { defaultErrorMessage, errorBody, responseTypeFor } from "./pdk/error-body.js";

export interface NginxWireOptions {
  /** `underscores_in_headers`: Kong's nginx_kong.lua sets it `on`; off drops names holding `_`. */
  underscoresInHeaders?: boolean;
  /** `ignore_invalid_headers` (nginx default on): names with other characters are dropped, not refused. */
  ignoreInvalidHeaders?: boolean;
  /** `client_header_buffer_size` (nginx default 1k, Kong keeps it). */
  clientHeaderBufferSize?: number;
  /** `large_client_header_buffers` (nginx default 4 8k, Kong keeps it). */
  largeHeaderBuffers?: { count: number; size: number };
}

/** ngx_http_parse_header_line's `lowcase` table: the name bytes nginx treats as valid (besides `_`). */
function validNameByte(c: number): boolean {
  return c === 0x2d || (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

/** Headers ngx_http_process_unique_header_line refuses a second time (ngx_http_headers_in, nginx 1.25). */
const UNIQUE_HEADERS = new Set([
  "host", "if-modified-since", "if-unmodified-since", "if-match", "if-none-match", "content-length", "content-range",
  "if-range", "transfer-encoding", "expect", "authorization",
]);

type LineResult = { header: BytePair; invalid: boolean } | { error: string };

type RequestLine = { method: string; target: string; minor: number } | { status: 400 | 505; error: string };

/** ngx_http_parse_request_line: method, origin- or absolute-form target (nginx keeps only its path), version. */
export function parseNginxRequestLine(text: string): RequestLine {
  const bad = (error: string): RequestLine => ({ status: 400, error });
  const method = /^[A-Z_-]+/.exec(text)?.[0];
  if (!method || text[method.length] !== " ") return bad("client sent invalid method");
  let p = method.length;
  while (text[p] === " ") p++;
  let uriStart = p;
  if (text[p] !== "/") {
    const abs = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/(?:\[[0-9a-zA-Z:._~!$&'()*+,;=-]*\]|[a-zA-Z0-9.-]*)(?::[0-9]*)?/.exec(text.slice(p));
    if (!abs) return bad("client sent invalid request");
    p += abs[0].length;
    const next = text[p];
    if (next !== "/" && next !== "?" && next !== " ") return bad("client sent invalid request");
    uriStart = p;
  }
  while (p < text.length && text[p] !== " ") {
    const c = text.charCodeAt(p);
    if (c < 0x20 || c === 0x7f) return bad("client sent invalid request");
    p++;
  }
  let target = text.slice(uriStart, p);
  if (target === "") target = "/";
  else if (target.startsWith("?")) target = `/${target}`;
  while (text[p] === " ") p++;
  const version = /^HTTP\/([1-9][0-9]*)\.([0-9]+) *$/.exec(text.slice(p));
  if (!version) return bad(p >= text.length ? "HTTP/0.9 requests are not served by the dev host" : "client sent invalid request");
  if (Number(version[1]) > 1) return { status: 505, error: "client sent unsupported HTTP version" };
  const minor = Number(version[2]);
  if (minor > 99) return bad("client sent invalid request");
  return { method, target, minor };
}

/**
 * ngx_http_parse_complex_uri's refusals: a bad or NUL `%XX` in the path, or `..` climbing above the root once
 * `%XX` is decoded (nginx decodes `%2F` and `%2E` too) and slashes are merged (`merge_slashes on`).
 */
export function nginxUriError(target: string): string | null {
  const query = target.search(/[?#]/);
  const path = query < 0 ? target : target.slice(0, query);
  let decoded = "";
  for (let i = 0; i < path.length; i++) {
    if (path[i] !== "%") {
      decoded += path[i];
      continue;
    }
    const hex = path.slice(i + 1, i + 3);
    if (!/^[0-9a-fA-F]{2}$/.test(hex)) return "client sent invalid request";
    const byte = parseInt(hex, 16);
    if (byte === 0) return "client sent invalid request";
    decoded += String.fromCharCode(byte);
    i += 2;
  }
  let depth = 0;
  for (const segment of decoded.split("/").filter((s, i) => i > 0 && s !== "")) {
    if (segment === "..") {
      if (depth === 0) return "client sent invalid request";
      depth--;
    } else if (segment !== ".") {
      depth++;
    }
  }
  return null;
}

/** ngx_http_parse_header_line for one line; `invalid` marks a name ignore_invalid_headers drops. */
export function parseNginxHeaderLine(text: string, underscores: boolean): LineResult {
  const line = text.replace(/\r+$/, "");
  if (line.includes("\r")) return { error: "client sent invalid header line" };
  const first = line.charCodeAt(0);
  if (first <= 0x20 || first === 0x7f || first === 0x3a) return { error: "client sent invalid header line" };
  let invalid = false;
  let p = 0;
  for (; p < line.length && line[p] !== ":"; p++) {
    const c = line.charCodeAt(p);
    if (validNameByte(c)) continue;
    if (c === 0x5f) {
      if (!underscores) invalid = true;
      continue;
    }
    if (c <= 0x20 || c === 0x7f) return { error: "client sent invalid header line" };
    invalid = true;
  }
  const name = line.slice(0, p);
  const value = p < line.length ? line.slice(p + 1).replace(/^ +/, "").replace(/ +$/, "") : "";
  if (value.includes("\0")) return { error: "client sent invalid header line" };
  return { header: [name, value], invalid };
}

/** ngx_http_validate_host as of nginx 1.25: no `..`, `/`, `\`, control bytes; not empty once a trailing dot goes. */
export function nginxHostValid(host: string): boolean {
  let end = host.length;
  let literal = false;
  let rest = false;
  for (let i = 0; i < host.length; i++) {
    const ch = host[i]!;
    const c = host.charCodeAt(i);
    if (ch === "." && host[i - 1] === ".") return false;
    if (ch === ":" && !literal && !rest) {
      end = i;
      rest = true;
    } else if (ch === "[" && i === 0) {
      literal = true;
    } else if (ch === "]" && literal) {
      end = i + 1;
      literal = false;
      rest = true;
    } else if (ch === "/" || ch === "\\" || c <= 0x20 || c === 0x7f) {
      return false;
    }
  }
  if (host[end - 1] === ".") end--;
  return end > 0;
}

const NGINX_PAGES: Record<number, string> = { 501: "501 Not Implemented", 505: "505 HTTP Version Not Supported" };

export class NginxWireRules implements WireRules {
  readonly name = "nginx";
  readonly maxHeadBytes: number;
  private readonly underscores: boolean;
  private readonly ignoreInvalid: boolean;
  private readonly firstBuffer: number;
  private readonly large: { count: number; size: number };

  constructor(options: NginxWireOptions = {}) {
    this.underscores = options.underscoresInHeaders ?? true;
    this.ignoreInvalid = options.ignoreInvalidHeaders ?? true;
    this.firstBuffer = options.clientHeaderBufferSize ?? 1024;
    this.large = options.largeHeaderBuffers ?? { count: 4, size: 8192 };
    this.maxHeadBytes = this.firstBuffer + this.large.count * this.large.size;
  }

  readHead(lines: readonly HeadLine[], complete: boolean): HeadVerdict {
    const overflow = this.bufferOverflow(lines);
    const requestLine = lines[0];
    if (!requestLine) return { refused: this.kongError(400, [], "client sent invalid request") };
    const parsed = parseNginxRequestLine(requestLine.text.replace(/\r+$/, ""));
    if (overflow?.at === 0) return { refused: this.kongError(414, [], "client sent too long URI") };
    if ("status" in parsed) return { refused: parsed.status === 505 ? this.nginxPage(505, parsed.error) : this.kongError(400, [], parsed.error) };
    const headers: BytePair[] = [];
    const seenUnique = new Set<string>();
    const headerLines = lines.slice(1, overflow ? overflow.at : complete ? lines.length - 1 : lines.length);
    for (const line of headerLines) {
      const result = parseNginxHeaderLine(line.text, this.underscores);
      if ("error" in result) return { refused: this.kongError(400, headers, result.error) };
      if (result.invalid && this.ignoreInvalid) continue; // nginx logs "client sent invalid header line" and drops it
      const lower = result.header[0].toLowerCase();
      if (UNIQUE_HEADERS.has(lower)) {
        if (seenUnique.has(lower)) return { refused: this.kongError(400, headers, `client sent duplicate header line: "${result.header[0]}"`) };
        seenUnique.add(lower);
        if (lower === "host" && !nginxHostValid(result.header[1])) return { refused: this.kongError(400, headers, "client sent invalid host header") };
      }
      headers.push(result.header);
    }
    if (overflow || !complete) return { refused: this.kongError(494, headers, "client sent too long header line") };
    const uriError = nginxUriError(parsed.target);
    if (uriError) return { refused: this.kongError(400, headers, uriError) };
    if (parsed.minor >= 1 && !seenUnique.has("host")) return { refused: this.kongError(400, headers, 'client sent HTTP/1.1 request without "Host" header') };
    const framing = bodyFraming(headers, parsed.minor);
    if ("problem" in framing) {
      if (framing.problem === "unknown_transfer_encoding") return { refused: this.nginxPage(501, `client sent unknown "Transfer-Encoding": "${framing.value}"`) };
      return { refused: this.kongError(400, headers, `client sent bad body framing (${framing.problem})`) };
    }
    return {
      accepted: {
        method: parsed.method, target: parsed.target, minorVersion: parsed.minor, headers,
        framing: framing.framing, keepAlive: wantsKeepAlive(headers, parsed.minor),
      },
    };
  }

  badBody(detail: string): Refusal {
    return this.kongError(400, [], `client sent invalid chunked body: ${detail}`);
  }

  /**
   * ngx_http_read_request_header / ngx_http_alloc_large_header_buffer: the head is read into a 1k buffer; a line
   * that does not end inside the current buffer moves to a fresh 8k one, at most 4. Returns the index of the first
   * line that does not fit (0 = the request line → 414; later → 494), or null.
   */
  private bufferOverflow(lines: readonly HeadLine[]): { at: number } | null {
    let bufferEnd = this.firstBuffer;
    let largeUsed = 0;
    for (const [i, line] of lines.entries()) {
      while (line.end > bufferEnd) {
        const partial = bufferEnd - line.start;
        if (partial >= this.large.size || largeUsed >= this.large.count) return { at: i };
        largeUsed++;
        bufferEnd = line.start + this.large.size;
      }
    }
    return null;
  }

  /** Kong's error_page handler (kong/error_handlers.lua): 400/414/494 with Kong's templated body; 494 → 400. */
  private kongError(status: 400 | 414 | 494, headers: readonly BytePair[], detail: string): Refusal {
    const accept = headers.find(([n]) => n.toLowerCase() === "accept")?.[1] ?? headers.find(([n]) => n.toLowerCase() === "content-type")?.[1];
    const contentType = responseTypeFor(accept);
    const requestId = randomBytes(16).toString("hex");
    const wireStatus = status === 494 ? 400 : status;
    return {
      status: wireStatus,
      reason: wireStatus === 414 ? "Request-URI Too Large" : "Bad Request",
      headers: [["Content-Type", contentType], ["Server", `kong/${KONG_VERSION}`], ["X-Kong-Request-Id", requestId]],
      body: Buffer.from(errorBody(contentType, defaultErrorMessage(status), requestId), "utf8").toString("latin1"),
      detail,
    };
  }

  /** nginx's own error page for codes Kong's error_page does not list (501, 505); server_tokens off. */
  private nginxPage(status: 501 | 505, detail: string): Refusal {
    const title = NGINX_PAGES[status]!;
    return {
      status,
      reason: title.slice(4),
      headers: [["Content-Type", "text/html"], ["Server", "openresty"]],
      body: `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n<hr><center>openresty</center>\r\n</body>\r\n</html>\r\n`,
      detail,
    };
  }
}
