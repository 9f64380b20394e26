// Bearer token extraction (RFC 6750 §2) from the sources a policy lists, in order.
// Outcomes map to RFC 6750 §3.1: no credentials → 401 without an error code; a malformed,
// oversized or badly encoded token → 401 invalid_token; a request that repeats a credential
// source or uses more than one method → 400 invalid_request.
import { Header } from "./headers";
import { AuthPolicy, TokenSource, TokenSourceKind } from "./policy";

export const enum TokenOutcome { Found = 0, Missing = 1, InvalidToken = 2, InvalidRequest = 3 }

export class TokenResult {
  outcome: i32 = TokenOutcome.Missing;
  token: string = "";
  /** `header:`, `cookie:` or `query:` and the source's name (joined only when asked: see `source`). */
  sourceKind: string = "";
  sourceName: string = "";
  /** Where the token lies before it is copied out: text.substring(start, end). */
  text: string = "";
  start: i32 = 0;
  end: i32 = 0;

  /** Which source produced it, e.g. `header:authorization`, `cookie:session`, `query:access_token`. */
  get source(): string {
    return this.sourceKind.length > 0 ? this.sourceKind + this.sourceName : "";
  }
}

/** Code units below 128 as four 32-bit masks (bit c & 31 of word c >> 5). */
export class AsciiSet {
  w0: u32 = 0;
  w1: u32 = 0;
  w2: u32 = 0;
  w3: u32 = 0;

  static of(chars: string): AsciiSet {
    const set = new AsciiSet();
    for (let i = 0; i < chars.length; i++) set.add(chars.charCodeAt(i));
    return set;
  }

  has(c: i32): bool {
    if (c < 0 || c >= 128) return false;
    const word = c < 64 ? (c < 32 ? this.w0 : this.w1) : (c < 96 ? this.w2 : this.w3);
    return ((word >>> u32(c & 31)) & 1) != 0;
  }

  private add(c: i32): void {
    const bit = u32(u32(1) << u32(c & 31));
    if (c < 32) this.w0 = u32(this.w0 | bit);
    else if (c < 64) this.w1 = u32(this.w1 | bit);
    else if (c < 96) this.w2 = u32(this.w2 | bit);
    else this.w3 = u32(this.w3 | bit);
  }
}

/**
 * Scans a string for a run of characters of one class. The portable scan serves both builds; a plane that
 * can read string memory directly (the wasm plane) may supply a faster one with the same contract.
 */
export class CharScan {
  /** Index of the first code unit of s[from, to) that is not in `set`, or `to`. 0 <= from <= to <= s.length. */
  span(s: string, from: i32, to: i32, set: AsciiSet): i32 {
    for (let i = from; i < to; i++) if (!set.has(s.charCodeAt(i))) return i;
    return to;
  }
}

/** RFC 6750 b64token characters before the padding. */
export const B64_TOKEN_CHARS: AsciiSet = AsciiSet.of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/");
const PADDING: AsciiSet = AsciiSet.of("=");
const PORTABLE_SCAN: CharScan = new CharScan();

export function extractToken(auth: AuthPolicy, headers: Array<Header>, path: string, scan: CharScan | null = null): TokenResult {
  const result = locateToken(auth, headers, path, scan);
  if (result.outcome == TokenOutcome.Found) result.token = result.text.substring(result.start, result.end);
  return result;
}

/** extractToken without copying the token out: when Found, it is text.substring(start, end) and `token` is "". */
export function locateToken(auth: AuthPolicy, headers: Array<Header>, path: string, scan: CharScan | null = null): TokenResult {
  const scanner = scan != null ? scan : PORTABLE_SCAN;
  let result: TokenResult | null = null;
  for (let i = 0; i < auth.tokenSources.length; i++) {
    const source = auth.tokenSources[i];
    const found = fromSource(source, headers, path);
    if (found.outcome == TokenOutcome.Missing) continue;
    if (found.outcome != TokenOutcome.Found) return found;
    if (found.end - found.start > auth.maxTokenLength || !isB64Range(scanner, found.text, found.start, found.end)) {
      return outcome(TokenOutcome.InvalidToken);
    }
    if (result != null) return outcome(TokenOutcome.InvalidRequest);
    result = found;
  }
  return result != null ? result : outcome(TokenOutcome.Missing);
}

function outcome(kind: i32): TokenResult {
  const r = new TokenResult();
  r.outcome = kind;
  return r;
}

function foundAt(text: string, start: i32, end: i32, kind: string, name: string): TokenResult {
  const r = outcome(TokenOutcome.Found);
  r.text = text;
  r.start = start;
  r.end = end;
  r.sourceKind = kind;
  r.sourceName = name;
  return r;
}

function fromSource(source: TokenSource, headers: Array<Header>, path: string): TokenResult {
  if (source.kind == TokenSourceKind.Header) return fromHeader(source, headers);
  if (source.kind == TokenSourceKind.Cookie) return fromCookie(source, headers);
  return fromQuery(source, path);
}

function fromHeader(source: TokenSource, headers: Array<Header>): TokenResult {
  let value: string | null = null;
  const name = source.name;
  for (let i = 0; i < headers.length; i++) {
    // Lengths first: most headers differ in length from the source's name, and that needs no string compare.
    const other = headers[i].name;
    if (other.length != name.length || other != name) continue;
    if (value != null) return outcome(TokenOutcome.InvalidRequest);
    value = headers[i].value;
  }
  if (value == null) return outcome(TokenOutcome.Missing);
  const text = value;
  // The value trimmed of OWS is text[start, end).
  let start = 0;
  let end = text.length;
  while (start < end && isOws(text.charCodeAt(start))) start++;
  while (end > start && isOws(text.charCodeAt(end - 1))) end--;
  const scheme = source.scheme;
  if (scheme.length > 0) {
    if (end - start < scheme.length || !schemeMatches(text, start, scheme)) {
      return outcome(TokenOutcome.Missing); // another scheme (e.g. Basic) is not a bearer credential
    }
    start += scheme.length;
    if (start == end) return outcome(TokenOutcome.InvalidRequest);
    if (text.charCodeAt(start) != 0x20) return outcome(TokenOutcome.Missing); // e.g. "Bearerx" is another scheme
    while (start < end && isOws(text.charCodeAt(start))) start++;
  }
  if (start == end) return outcome(TokenOutcome.InvalidRequest);
  return foundAt(text, start, end, "header:", source.name);
}

/** Whether text[start, start + scheme.length) equals the scheme ignoring case (the caller checked the length). */
function schemeMatches(text: string, start: i32, scheme: string): bool {
  for (let i = 0; i < scheme.length; i++) {
    const a = text.charCodeAt(start + i);
    const b = scheme.charCodeAt(i);
    // The value is a byte string: a byte above 0x7f is never a letter of the (token) scheme.
    if (a >= 0x80 || asciiLower(a) != asciiLower(b)) return false;
  }
  return true;
}

function asciiLower(c: i32): i32 {
  return c >= 0x41 && c <= 0x5a ? c + 0x20 : c;
}

function isOws(c: i32): bool {
  return c == 0x20 || c == 0x09;
}

function fromCookie(source: TokenSource, headers: Array<Header>): TokenResult {
  for (let i = 0; i < headers.length; i++) {
    if (headers[i].name != "cookie") continue;
    const pairs = headers[i].value.split(";");
    for (let j = 0; j < pairs.length; j++) {
      const pair = pairs[j];
      const eq = pair.indexOf("=");
      if (eq < 0) continue;
      if (trimOws(pair.substring(0, eq)) != source.name) continue;
      let value = trimOws(pair.substring(eq + 1));
      if (value.length >= 2 && value.charCodeAt(0) == 0x22 && value.charCodeAt(value.length - 1) == 0x22) {
        value = value.substring(1, value.length - 1);
      }
      if (value.length == 0) return outcome(TokenOutcome.Missing);
      return foundAt(value, 0, value.length, "cookie:", source.name); // first cookie of that name wins, as browsers order the most specific path first
    }
  }
  return outcome(TokenOutcome.Missing);
}

function fromQuery(source: TokenSource, path: string): TokenResult {
  const queryAt = path.indexOf("?");
  if (queryAt < 0) return outcome(TokenOutcome.Missing);
  const params = path.substring(queryAt + 1).split("&");
  let value: string | null = null;
  for (let i = 0; i < params.length; i++) {
    const param = params[i];
    const eq = param.indexOf("=");
    const name = eq < 0 ? param : param.substring(0, eq);
    if (name != source.name) continue;
    if (value != null) return outcome(TokenOutcome.InvalidRequest);
    const decoded = percentDecode(eq < 0 ? "" : param.substring(eq + 1));
    if (decoded == null) return outcome(TokenOutcome.InvalidToken);
    value = decoded;
  }
  if (value == null) return outcome(TokenOutcome.Missing);
  const token = value;
  if (token.length == 0) return outcome(TokenOutcome.InvalidRequest);
  return foundAt(token, 0, token.length, "query:", source.name);
}

/** Form-style percent decoding of an ASCII token: `+` is a space, `%XX` a byte below 0x80. */
function percentDecode(s: string): string | null {
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c == 0x25) {
      if (i + 2 >= s.length) return null;
      const hi = hexValue(s.charCodeAt(i + 1));
      const lo = hexValue(s.charCodeAt(i + 2));
      if (hi < 0 || lo < 0 || hi >= 8) return null; // tokens are ASCII
      out += String.fromCharCode(hi * 16 + lo);
      i += 2;
    } else if (c == 0x2b) {
      out += " ";
    } else {
      out += String.fromCharCode(c);
    }
  }
  return out;
}

function hexValue(c: i32): i32 {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}

/** RFC 6750 b64token: 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=" */
export function isB64Token(s: string): bool {
  return isB64Range(PORTABLE_SCAN, s, 0, s.length);
}

function isB64Range(scan: CharScan, s: string, start: i32, end: i32): bool {
  const chars = scan.span(s, start, end, B64_TOKEN_CHARS);
  if (chars == start) return false;
  return chars == end || scan.span(s, chars, end, PADDING) == end;
}

/** Trims RFC 9110 optional whitespace (SP / HTAB). */
export function trimOws(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && (s.charCodeAt(start) == 0x20 || s.charCodeAt(start) == 0x09)) start++;
  while (end > start && (s.charCodeAt(end - 1) == 0x20 || s.charCodeAt(end - 1) == 0x09)) end--;
  return s.substring(start, end);
}
