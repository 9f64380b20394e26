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
  /** Which source produced it, e.g. `header:authorization`, `cookie:session`, `query:access_token`. */
  source: string = "";
}

export function extractToken(auth: AuthPolicy, headers: Array<Header>, path: string): TokenResult {
  const result = new TokenResult();
  for (let i = 0; i < auth.tokenSources.length; i++) {
    const source = auth.tokenSources[i];
    const found = fromSource(source, headers, path);
    if (found.outcome == TokenOutcome.Missing) continue;
    if (found.outcome != TokenOutcome.Found) return found;
    if (!isB64Token(found.token) || found.token.length > auth.maxTokenLength) {
      return outcome(TokenOutcome.InvalidToken);
    }
    if (result.outcome == TokenOutcome.Found) return outcome(TokenOutcome.InvalidRequest);
    result.outcome = TokenOutcome.Found;
    result.token = found.token;
    result.source = found.source;
  }
  return result;
}

function outcome(kind: i32): TokenResult {
  const r = new TokenResult();
  r.outcome = kind;
  return r;
}

function fromSource(source: TokenSource, headers: Array<Header>, path: string): TokenResult {
  if (source.kind == TokenSourceKind.Header) return fromHeader(source, headers);
  if (source.kind == TokenSourceKind.Cookie) return fromCookie(source, headers);
  return fromQuery(source, path);
}

function fromHeader(source: TokenSource, headers: Array<Header>): TokenResult {
  let value: string | null = null;
  for (let i = 0; i < headers.length; i++) {
    if (headers[i].name != source.name) continue;
    if (value != null) return outcome(TokenOutcome.InvalidRequest);
    value = headers[i].value;
  }
  if (value == null) return outcome(TokenOutcome.Missing);
  const trimmed = trimOws(value);
  let token = trimmed;
  if (source.scheme.length > 0) {
    const scheme = source.scheme;
    if (trimmed.length < scheme.length || trimmed.substring(0, scheme.length).toLowerCase() != scheme.toLowerCase()) {
      return outcome(TokenOutcome.Missing); // another scheme (e.g. Basic) is not a bearer credential
    }
    const rest = trimmed.substring(scheme.length);
    if (rest.length == 0) return outcome(TokenOutcome.InvalidRequest);
    if (rest.charCodeAt(0) != 0x20) return outcome(TokenOutcome.Missing); // e.g. "Bearerx" is another scheme
    token = trimOws(rest);
  }
  if (token.length == 0) return outcome(TokenOutcome.InvalidRequest);
  const r = outcome(TokenOutcome.Found);
  r.token = token;
  r.source = "header:" + source.name;
  return r;
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
      const r = outcome(TokenOutcome.Found);
      r.token = value;
      r.source = "cookie:" + source.name;
      return r; // first cookie of that name wins, as browsers order the most specific path first
    }
  }
  return outcome(TokenOutcome.Missing);
}

function fromQuery(source: TokenSource, path: string): TokenResult {
  const queryAt = path.indexOf("?");
  if (queryAt < 0) return outcome(TokenOutcome.Missing);
  const params = path.substring(queryAt + 1).split("&");
  let found: string | null = null;
  for (let i = 0; i < params.length; i++) {
    const param = params[i];
    const eq = param.indexOf("=");
    const name = eq < 0 ? param : param.substring(0, eq);
    if (name != source.name) continue;
    if (found != null) return outcome(TokenOutcome.InvalidRequest);
    const decoded = percentDecode(eq < 0 ? "" : param.substring(eq + 1));
    if (decoded == null) return outcome(TokenOutcome.InvalidToken);
    found = decoded;
  }
  if (found == null) return outcome(TokenOutcome.Missing);
  if (found.length == 0) return outcome(TokenOutcome.InvalidRequest);
  const r = outcome(TokenOutcome.Found);
  r.token = found;
  r.source = "query:" + source.name;
  return r;
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
  if (s.length == 0) return false;
  let i = 0;
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ok = (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) ||
      c == 0x2d || c == 0x2e || c == 0x5f || c == 0x7e || c == 0x2b || c == 0x2f;
    if (!ok) break;
  }
  if (i == 0) return false;
  for (; i < s.length; i++) if (s.charCodeAt(i) != 0x3d) return false;
  return true;
}

/** Trims RFC 9110 optional whitespace (SP / HTAB). */
export function trimOws(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && (s.charCodeAt(start) == 0x20 || s.charCodeAt(start) == 0x09)) start++;
  while (end > start && (s.charCodeAt(end - 1) == 0x20 || s.charCodeAt(end - 1) == 0x09)) end--;
  return s.substring(start, end);
}
