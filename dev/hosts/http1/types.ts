// The shapes shared by the dev hosts' HTTP/1 front: bytes are held as latin1 JS strings ("byte strings"),
// one char per byte, so a header value or request target reaches the host exactly as it crossed the wire.
import type { Readable } from "node:stream";

/** A header as byte strings: [name as received, value]. */
export type BytePair = readonly [string, string];

/** One line of a request head: its bytes without the line terminator, and where it sat in the head. */
export interface HeadLine {
  text: string;
  /** Offset of the line's first byte from the start of the request (after skipped leading empty lines). */
  start: number;
  /** Offset just past the line's terminator (LF), or the end of the bytes seen for an unterminated line. */
  end: number;
}

/** A reply the front sends itself when a proxy refuses a request on the wire; the connection is closed after it. */
export interface Refusal {
  status: number;
  reason: string;
  headers: BytePair[];
  body: string;
  /** Why, for the host's log (e.g. nginx's "client sent invalid header line"). */
  detail: string;
}

export type BodyFraming = { kind: "none" } | { kind: "length"; length: number } | { kind: "chunked" };

/** A request head a proxy accepted, as that proxy reads it. */
export interface AcceptedHead {
  method: string;
  /** The request target as its bytes, including the query. */
  target: string;
  /** 0 for HTTP/1.0, 1 for HTTP/1.1. */
  minorVersion: number;
  headers: BytePair[];
  framing: BodyFraming;
  keepAlive: boolean;
}

export type HeadVerdict = { accepted: AcceptedHead } | { refused: Refusal };

/**
 * What one proxy accepts on the wire. The front splits the bytes into lines (a trailing CR removed) and hands
 * the rules the request line, the header lines and — when `complete` — the empty line that ends the head.
 * `complete` is false when the head was cut off at `maxHeadBytes` without its empty line: the rules refuse then.
 */
export interface WireRules {
  readonly name: string;
  /** Bytes of a head the front buffers at most; a head still open beyond this is judged incomplete. */
  readonly maxHeadBytes: number;
  readHead(lines: readonly HeadLine[], complete: boolean): HeadVerdict;
  /** The reply for a body that breaks its framing (bad chunk size, connection closed early). */
  badBody(detail: string): Refusal;
}

export interface Http1Request {
  head: AcceptedHead;
  /** The body as it arrives (chunked decoded), or null when the head announced none. */
  body: Readable | null;
  remoteAddress: string;
  remotePort: number;
  localAddress: string;
  localPort: number;
  /** The same object for every request of one connection (a WeakMap key for per-connection state). */
  connection: object;
}

export interface Http1Response {
  status: number;
  headers: readonly BytePair[];
  /** A Uint8Array is sent with Content-Length; a stream with its Content-Length header if given, else chunked. */
  body: Uint8Array | Readable;
}
