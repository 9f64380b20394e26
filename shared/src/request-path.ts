// The one reading of a request path that path rules (anonymousPaths, failure.openPaths) are matched against
// (DECISIONS.md §1.1). The path is a byte string: one character per byte of the request target, as both
// hosts hand it over; nothing here ever decodes UTF-8.

export class PathReading {
  /** RFC 3986 reading: query split off, `;` parameters cut from every segment BEFORE dot-segment removal
   *  (§5.2.4), percent-encoded unreserved characters decoded, other percent-encodings upper-cased. */
  canonical: string = "";
  /** The same with the `;` parameters left in their segments (how Go, Node and PHP route). */
  literal: string = "";
  /** Why an upstream could read the path differently ("" = unambiguous). An ambiguous path matches no rule. */
  ambiguity: string = "";
}

/** Reads `pathWithQuery` (the request target in origin form, query included). */
export function readPath(pathWithQuery: string): PathReading {
  const reading = new PathReading();
  const queryAt = pathWithQuery.indexOf("?");
  const path = queryAt >= 0 ? pathWithQuery.substring(0, queryAt) : pathWithQuery;
  if (path.length == 0 || path.charCodeAt(0) != 0x2f) {
    reading.ambiguity = "not_origin_form";
    return reading;
  }
  const canonical = new Array<string>();
  const literal = new Array<string>();
  const segments = path.substring(1).split("/");
  for (let i = 0; i < segments.length; i++) {
    const raw = segments[i];
    const last = i == segments.length - 1;
    const segment = decodeSegment(raw);
    if (segment == null) {
      reading.ambiguity = segmentAmbiguity(raw);
      return reading; // no reading is meaningful
    }
    const semicolon = segment.indexOf(";");
    const name = semicolon >= 0 ? segment.substring(0, semicolon) : segment;
    // Dot-segments are resolved as RFC 3986 §5.2.4 does (servlet containers resolve `..;` too), yet flagged:
    // an upstream that keeps parameters or does not resolve dot-segments routes the same bytes elsewhere.
    if (name == "." || name == "..") {
      if (reading.ambiguity.length == 0) reading.ambiguity = "dot_segment";
      removeDotSegment(canonical, name, last);
    } else {
      if (name.length == 0 && (!last || semicolon >= 0) && reading.ambiguity.length == 0) reading.ambiguity = "empty_segment";
      canonical.push(name);
    }
    if (segment == "." || segment == "..") removeDotSegment(literal, segment, last);
    else literal.push(segment);
  }
  reading.canonical = "/" + canonical.join("/");
  reading.literal = "/" + literal.join("/");
  return reading;
}

/**
 * Why a request target is refused with 400 on both planes ("" = it is not): the union of what Envoy's HTTP/1 codec
 * and nginx refuse before any plugin runs, so that the same bytes get the same status whichever proxy received them.
 * - a byte outside `!`..`~` anywhere in the target (Envoy's codec refuses bytes above 0x7E and controls; nginx
 *   refuses controls): `bad_byte`;
 * - in the path, a `%` without two hex digits, or `%00` (nginx): `bad_percent`;
 * - in the path, a `..` segment that climbs above the root once every `%XX` is decoded and slashes are merged
 *   (nginx): `above_root`.
 */
export function targetRefusal(pathWithQuery: string): string {
  // One pass: every byte is checked, and the path (up to the first `?` or `#`) is watched for a `%` or a `/.`.
  let end = -1;
  let decodeOrClimb = false;
  for (let i = 0, n = pathWithQuery.length; i < n; i++) {
    const c = pathWithQuery.charCodeAt(i);
    if (c < 0x21 || c > 0x7e) return "bad_byte";
    if (end >= 0) continue;
    if (c == 0x3f || c == 0x23) end = i;
    else if (c == 0x25 || (c == 0x2e && i > 0 && pathWithQuery.charCodeAt(i - 1) == 0x2f)) decodeOrClimb = true;
  }
  // The common path has neither `%` nor a dot-segment: nothing to decode, nothing to climb.
  if (!decodeOrClimb) return "";
  const path = end >= 0 ? pathWithQuery.substring(0, end) : pathWithQuery;
  let decoded = "";
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c != 0x25) {
      decoded += String.fromCharCode(c);
      continue;
    }
    const hi = i + 2 < path.length ? hexValue(path.charCodeAt(i + 1)) : -1;
    const lo = i + 2 < path.length ? hexValue(path.charCodeAt(i + 2)) : -1;
    if (hi < 0 || lo < 0 || hi * 16 + lo == 0) return "bad_percent";
    decoded += String.fromCharCode(hi * 16 + lo);
    i += 2;
  }
  const segments = decoded.split("/");
  let depth = 0;
  for (let i = 1; i < segments.length; i++) {
    const segment = segments[i];
    if (segment.length == 0 || segment == ".") continue;
    if (segment == "..") {
      if (depth == 0) return "above_root";
      depth--;
    } else {
      depth++;
    }
  }
  return "";
}

function removeDotSegment(out: Array<string>, dots: string, last: bool): void {
  if (dots == ".." && out.length > 0) out.pop();
  if (last) out.push("");
}

/** Path rule match: exact, or prefix when the rule ends with `*`. Only an unambiguous path whose canonical
 *  and literal readings BOTH match can match: every way an upstream may read the bytes is covered by the rule. */
export function pathMatches(rules: Array<string>, pathWithQuery: string): bool {
  if (rules.length == 0) return false;
  const reading = readPath(pathWithQuery);
  if (reading.ambiguity.length > 0) return false;
  return matchesAny(rules, reading.canonical) && matchesAny(rules, reading.literal);
}

/** Whether one reading matches a rule (exact, or prefix for a rule ending in `*`). */
export function matchesAny(rules: Array<string>, path: string): bool {
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i];
    if (rule.endsWith("*")) {
      if (path.startsWith(rule.substring(0, rule.length - 1))) return true;
    } else if (path == rule) {
      return true;
    }
  }
  return false;
}

/** The segment with unreserved percent-encodings decoded and the others upper-cased, or null when it holds a
 *  byte or an encoding that upstreams read differently (see segmentAmbiguity). */
function decodeSegment(raw: string): string | null {
  let out = "";
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c != 0x25) {
      if (!isPlainPathByte(c)) return null;
      out += String.fromCharCode(c);
      continue;
    }
    if (i + 2 >= raw.length) return null;
    const hi = hexValue(raw.charCodeAt(i + 1));
    const lo = hexValue(raw.charCodeAt(i + 2));
    if (hi < 0 || lo < 0) return null;
    const b = hi * 16 + lo;
    if (isUnreservedNotDot(b)) out += String.fromCharCode(b);
    else if (isKeptEncoded(b)) out += "%" + HEX.charAt(hi) + HEX.charAt(lo);
    else return null;
    i += 2;
  }
  return out;
}

const HEX = "0123456789ABCDEF";

/** Why decodeSegment refused `raw`: the first offending byte or encoding. */
function segmentAmbiguity(raw: string): string {
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c != 0x25) {
      if (c == 0x5c) return "backslash";
      if (c >= 0x80) return "non_ascii";
      if (c <= 0x20 || c == 0x7f) return "control";
      if (!isPlainPathByte(c)) return "reserved_byte";
      continue;
    }
    const complete = i + 2 < raw.length;
    const hi = complete ? hexValue(raw.charCodeAt(i + 1)) : -1;
    const lo = complete ? hexValue(raw.charCodeAt(i + 2)) : -1;
    if (hi < 0 || lo < 0) return "bad_percent";
    const b = hi * 16 + lo;
    if (!isUnreservedNotDot(b) && !isKeptEncoded(b)) return encodedAmbiguity(b);
    i += 2;
  }
  return "";
}

function encodedAmbiguity(b: i32): string {
  if (b == 0x2e) return "encoded_dot";
  if (b == 0x2f) return "encoded_slash";
  if (b == 0x5c) return "encoded_backslash";
  if (b == 0x25) return "double_encoding";
  if (b == 0x3b) return "encoded_semicolon";
  if (b >= 0x80) return "encoded_non_ascii";
  return "encoded_control";
}

/** RFC 3986 unreserved minus `.`: decoding these cannot change how any upstream splits the path. */
function isUnreservedNotDot(b: i32): bool {
  return (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || (b >= 0x30 && b <= 0x39) || b == 0x2d || b == 0x5f || b == 0x7e;
}

/** Encodings left as they are (upper-cased): printable ASCII that no upstream treats as a path separator,
 *  dot, parameter delimiter or escape. */
function isKeptEncoded(b: i32): bool {
  return b >= 0x20 && b < 0x7f && b != 0x2e && b != 0x2f && b != 0x5c && b != 0x25 && b != 0x3b;
}

/** RFC 3986 pchar bytes plus `;` (the parameter delimiter the readings handle) — `%` is handled by the caller. */
function isPlainPathByte(c: i32): bool {
  if (isUnreservedNotDot(c) || c == 0x2e) return true;
  // sub-delims ! $ & ' ( ) * + , ; =  and  : @
  return c == 0x21 || c == 0x24 || c == 0x26 || c == 0x27 || c == 0x28 || c == 0x29 || c == 0x2a || c == 0x2b ||
    c == 0x2c || c == 0x3b || c == 0x3d || c == 0x3a || c == 0x40;
}

function hexValue(c: i32): i32 {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}
