// How a request head frames its body (RFC 9112 §6): Content-Length, chunked Transfer-Encoding, or none. The
// proxies agree on what is broken; each one's rules choose the status it answers with.
import type { BodyFraming, BytePair } from "./types.js";

export type FramingProblem =
  | "invalid_content_length"
  | "multiple_content_length"
  | "content_length_and_chunked"
  | "unknown_transfer_encoding"
  | "transfer_encoding_in_http10";

export type FramingResult = { framing: BodyFraming } | { problem: FramingProblem; value: string };

const DIGITS = /^[0-9]+$/;

export function bodyFraming(headers: readonly BytePair[], minorVersion: number): FramingResult {
  const lengths: string[] = [];
  const encodings: string[] = [];
  for (const [name, value] of headers) {
    const lower = name.toLowerCase();
    if (lower === "content-length") lengths.push(value.trim());
    else if (lower === "transfer-encoding") encodings.push(value.trim());
  }
  if (encodings.length > 0) {
    const value = encodings.join(", ");
    if (minorVersion === 0) return { problem: "transfer_encoding_in_http10", value };
    if (value.toLowerCase() !== "chunked") return { problem: "unknown_transfer_encoding", value };
    if (lengths.length > 0) return { problem: "content_length_and_chunked", value: lengths.join(", ") };
    return { framing: { kind: "chunked" } };
  }
  if (lengths.length > 1) return { problem: "multiple_content_length", value: lengths.join(", ") };
  const length = lengths[0];
  if (length === undefined) return { framing: { kind: "none" } };
  if (!DIGITS.test(length) || length.length > 15) return { problem: "invalid_content_length", value: length };
  const n = Number(length);
  return { framing: n === 0 ? { kind: "none" } : { kind: "length", length: n } };
}

/** Keep-alive per RFC 9112 §9.3: HTTP/1.1 unless `Connection: close`, HTTP/1.0 only with `keep-alive`. */
export function wantsKeepAlive(headers: readonly BytePair[], minorVersion: number): boolean {
  const tokens = headers
    .filter(([name]) => name.toLowerCase() === "connection")
    .flatMap(([, value]) => value.toLowerCase().split(",").map((t) => t.trim()));
  if (tokens.includes("close")) return false;
  return minorVersion >= 1 || tokens.includes("keep-alive");
}
