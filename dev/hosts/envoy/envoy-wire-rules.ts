// What Envoy's HTTP/1 codec (BalsaParser + http1/codec_impl.cc) and connection manager accept on the wire, with
// the defaults Istio runs: max_request_headers_kb 60, max_headers_count 100, headers_with_underscores_action
// ALLOW, allow_absolute_url true, accept_http_10 false. README.md ("On the wire") cites each rule.
import { bodyFraming, wantsKeepAlive } from "../http1/framing.js";
import type { BytePair, HeadLine, HeadVerdict, Refusal, WireRules } from "../http1/types.js";

export interface EnvoyWireOptions {
  /** HttpConnectionManager.max_request_headers_kb (default 60). */
  maxRequestHeadersKb?: number;
  /** common_http_protocol_options.max_headers_count (default 100). */
  maxHeadersCount?: number;
  /** common_http_protocol_options.headers_with_underscores_action (default ALLOW). */
  headersWithUnderscores?: "ALLOW" | "REJECT_REQUEST" | "DROP_HEADER";
}

/** balsa_parser.cc isMethodValid: the methods http-parser knew; anything else is HPE_INVALID_METHOD. */
const METHODS = new Set([
  "ACL", "BIND", "CHECKOUT", "CONNECT", "COPY", "DELETE", "GET", "HEAD", "LINK", "LOCK", "MERGE", "MKACTIVITY",
  "MKCALENDAR", "MKCOL", "MOVE", "MSEARCH", "NOTIFY", "OPTIONS", "PATCH", "POST", "PROPFIND", "PROPPATCH", "PURGE",
  "PUT", "REBIND", "REPORT", "SEARCH", "SOURCE", "SUBSCRIBE", "TRACE", "UNBIND", "UNLINK", "UNLOCK", "UNSUBSCRIBE",
]);

/** balsa_parser.cc isUrlValid: path and query bytes are HTAB, FF or `!`..`~` — no byte ≥ 0x80, no DEL. */
function pathQueryByteValid(c: number): boolean {
  return c === 0x09 || c === 0x0c || (c >= 0x21 && c <= 0x7e);
}

const HOST_CHARS = /^[A-Za-z0-9!$%&'()*+,\-.:;=@[\]_~]*$/;

/** isUrlValid for a non-CONNECT request: origin form `/…` or `*`, or `scheme://host[/?]…`. */
export function envoyUrlValid(url: string): boolean {
  if (url === "") return false;
  const allValid = (s: string): boolean => [...s].every((ch) => pathQueryByteValid(ch.charCodeAt(0)));
  if (url[0] === "/" || url[0] === "*") return allValid(url.slice(1));
  const scheme = /^[A-Za-z]+:\/\//.exec(url);
  if (!scheme) return false;
  const rest = url.slice(scheme[0].length);
  const split = rest.search(/[/?]/);
  const host = split < 0 ? rest : rest.slice(0, split);
  const pathQuery = split < 0 ? "" : rest.slice(split);
  return HOST_CHARS.test(host) && !host.includes("@@") && allValid(pathQuery);
}

/** RFC 9110 tchar: the header name bytes Balsa accepts (it refuses controls, separators and bytes ≥ 0x80). */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** nghttp2_check_header_value, which HeaderUtility::headerValueIsValid calls: HTAB, SP..~, and obs-text. */
function headerValueValid(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (!(c === 0x09 || (c >= 0x20 && c <= 0x7e) || c >= 0x80)) return false;
  }
  return true;
}

const REASONS: Record<number, string> = { 400: "Bad Request", 426: "Upgrade Required", 431: "Request Header Fields Too Large", 501: "Not Implemented" };

/** A codec error answered through sendLocalReply before any filter exists: body = the status text. */
function localReply(status: 400 | 426 | 431 | 501, detail: string, body = REASONS[status]!): Refusal {
  const headers: BytePair[] = body === "" ? [] : [["content-type", "text/plain"]];
  return { status, reason: REASONS[status]!, headers, body, detail };
}

export class EnvoyWireRules implements WireRules {
  readonly name = "envoy";
  readonly maxHeadBytes: number;
  private readonly maxCount: number;
  private readonly underscores: "ALLOW" | "REJECT_REQUEST" | "DROP_HEADER";

  constructor(options: EnvoyWireOptions = {}) {
    this.maxHeadBytes = (options.maxRequestHeadersKb ?? 60) * 1024;
    this.maxCount = options.maxHeadersCount ?? 100;
    this.underscores = options.headersWithUnderscores ?? "ALLOW";
  }

  readHead(lines: readonly HeadLine[], complete: boolean): HeadVerdict {
    if (!complete) return { refused: localReply(431, "http1.headers_too_large") };
    const requestLine = lines[0]?.text ?? "";
    const m = /^([^ ]+) ([^ ]+) HTTP\/(\d)\.(\d)$/.exec(requestLine);
    if (!m) return { refused: localReply(400, "http1.codec_error") };
    const [, method, url, major, minor] = m as unknown as [string, string, string, string, string];
    if (!METHODS.has(method)) return { refused: localReply(400, "http1.codec_error{HPE_INVALID_METHOD}") };
    if (method === "CONNECT" || !envoyUrlValid(url)) return { refused: localReply(400, "http1.codec_error{HPE_INVALID_URL}") };
    if (major !== "1") return { refused: localReply(400, "http1.codec_error{HPE_INVALID_VERSION}") };
    const headers: BytePair[] = [];
    for (const line of lines.slice(1, -1)) {
      if (line.text.startsWith(" ") || line.text.startsWith("\t")) return { refused: localReply(400, "http1.codec_error{obs-fold}") };
      const colon = line.text.indexOf(":");
      if (colon < 0) return { refused: localReply(400, "http1.codec_error{missing colon}") };
      const name = line.text.slice(0, colon);
      if (!TOKEN.test(name)) return { refused: localReply(400, "http1.codec_error{INVALID_HEADER_NAME_CHARACTER}") };
      const value = line.text.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, "");
      if (!headerValueValid(value)) return { refused: localReply(400, "http1.invalid_characters") };
      if (name.includes("_") && this.underscores !== "ALLOW") {
        if (this.underscores === "REJECT_REQUEST") return { refused: localReply(400, "http1.unexpected_underscore") };
        continue;
      }
      headers.push([name.toLowerCase(), value]);
      if (headers.length > this.maxCount) return { refused: localReply(431, "http1.too_many_headers") };
    }
    const minorVersion = Number(minor);
    const target = this.pathOf(url, headers);
    if (minorVersion === 0) return { refused: localReply(426, "low_version", "") };
    if (!headers.some(([n]) => n === "host")) return { refused: localReply(400, "missing_host_header", "") };
    const framing = bodyFraming(headers, minorVersion);
    if ("problem" in framing) {
      if (framing.problem === "unknown_transfer_encoding") return { refused: localReply(501, "http1.invalid_transfer_encoding") };
      return { refused: localReply(400, `http1.codec_error{${framing.problem}}`) };
    }
    return {
      accepted: { method, target, minorVersion, headers, framing: framing.framing, keepAlive: wantsKeepAlive(headers, minorVersion) },
    };
  }

  badBody(detail: string): Refusal {
    return localReply(400, `http1.codec_error{${detail}}`);
  }

  /**
   * codec_impl.cc handlePath: an absolute-form target (allow_absolute_url) replaces the Host header with its
   * authority and leaves its path and query (or `/`) as :path; an origin-form target is :path byte for byte.
   */
  private pathOf(url: string, headers: BytePair[]): string {
    if (url[0] === "/" || url[0] === "*") return url;
    const rest = url.slice(url.indexOf("://") + 3);
    const split = rest.search(/[/?]/);
    const authority = split < 0 ? rest : rest.slice(0, split);
    for (let i = headers.length - 1; i >= 0; i--) if (headers[i]![0] === "host") headers.splice(i, 1);
    headers.unshift(["host", authority]);
    const pathQuery = split < 0 ? "" : rest.slice(split);
    return pathQuery === "" ? "/" : pathQuery.startsWith("?") ? `/${pathQuery}` : pathQuery;
  }
}
