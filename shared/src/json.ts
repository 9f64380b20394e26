import { decimalToF64, exactDecimal, roundDigits } from "./decimal";

// A small JSON value model with a parser and a writer that behave the same under tsc and asc.
// The core owns its JSON handling because asc has no JSON.parse; one implementation on both
// planes means the auth-response and policy decisions cannot drift apart.

export const enum JsonKind { Null = 0, Bool = 1, Number = 2, String = 3, Array = 4, Object = 5 }

export class JsonValue {
  kind: i32 = JsonKind.Null;
  bool: bool = false;
  num: f64 = 0;
  str: string = "";
  items: Array<JsonValue> = new Array<JsonValue>();
  keys: Array<string> = new Array<string>();
  values: Array<JsonValue> = new Array<JsonValue>();

  static nul(): JsonValue { return new JsonValue(); }
  static ofBool(b: bool): JsonValue { const v = new JsonValue(); v.kind = JsonKind.Bool; v.bool = b; return v; }
  static ofNumber(n: f64): JsonValue { const v = new JsonValue(); v.kind = JsonKind.Number; v.num = n; return v; }
  static ofString(s: string): JsonValue { const v = new JsonValue(); v.kind = JsonKind.String; v.str = s; return v; }
  static array(): JsonValue { const v = new JsonValue(); v.kind = JsonKind.Array; return v; }
  static object(): JsonValue { const v = new JsonValue(); v.kind = JsonKind.Object; return v; }

  isNull(): bool { return this.kind == JsonKind.Null; }
  isBool(): bool { return this.kind == JsonKind.Bool; }
  isNumber(): bool { return this.kind == JsonKind.Number; }
  isString(): bool { return this.kind == JsonKind.String; }
  isArray(): bool { return this.kind == JsonKind.Array; }
  isObject(): bool { return this.kind == JsonKind.Object; }

  /** Object member by key (last one wins on duplicates, like JSON.parse), or null. */
  get(key: string): JsonValue | null {
    for (let i = this.keys.length - 1; i >= 0; i--) {
      if (this.keys[i] == key) return this.values[i];
    }
    return null;
  }

  has(key: string): bool { return this.get(key) != null; }

  /** Sets an object member, replacing an existing one. Returns this for chaining. */
  set(key: string, value: JsonValue): JsonValue {
    for (let i = 0; i < this.keys.length; i++) {
      if (this.keys[i] == key) { this.values[i] = value; return this; }
    }
    this.keys.push(key);
    this.values.push(value);
    return this;
  }

  setString(key: string, s: string): JsonValue { return this.set(key, JsonValue.ofString(s)); }
  setNumber(key: string, n: f64): JsonValue { return this.set(key, JsonValue.ofNumber(n)); }
  setBool(key: string, b: bool): JsonValue { return this.set(key, JsonValue.ofBool(b)); }

  push(value: JsonValue): JsonValue { this.items.push(value); return this; }

  kindName(): string { return kindName(this.kind); }
}

export function kindName(kind: i32): string {
  if (kind == JsonKind.Null) return "null";
  if (kind == JsonKind.Bool) return "boolean";
  if (kind == JsonKind.Number) return "number";
  if (kind == JsonKind.String) return "string";
  if (kind == JsonKind.Array) return "array";
  return "object";
}

export class JsonParseResult {
  value: JsonValue | null = null;
  error: string = "";
  ok(): bool { return this.value != null; }
}

/** Nesting deeper than this is refused: hostile bodies must not exhaust the stack. */
export const MAX_JSON_DEPTH: i32 = 64;

export function parseJson(text: string): JsonParseResult {
  const parser = new JsonParser(text);
  const result = new JsonParseResult();
  parser.skipSpace();
  const value = parser.parseValue(0);
  if (value != null) {
    parser.skipSpace();
    if (parser.pos < text.length) parser.fail("unexpected character after the JSON value");
  }
  if (parser.error.length > 0) {
    result.error = parser.error + " at offset " + parser.errorPos.toString();
    return result;
  }
  result.value = value;
  return result;
}

class JsonParser {
  pos: i32 = 0;
  error: string = "";
  errorPos: i32 = 0;
  constructor(public text: string) {}

  fail(message: string): void {
    if (this.error.length == 0) { this.error = message; this.errorPos = this.pos; }
  }

  skipSpace(): void {
    const text = this.text;
    while (this.pos < text.length) {
      const c = text.charCodeAt(this.pos);
      if (c == 0x20 || c == 0x09 || c == 0x0a || c == 0x0d) this.pos++;
      else break;
    }
  }

  parseValue(depth: i32): JsonValue | null {
    if (depth > MAX_JSON_DEPTH) { this.fail("nesting deeper than " + MAX_JSON_DEPTH.toString()); return null; }
    if (this.pos >= this.text.length) { this.fail("unexpected end of input"); return null; }
    const c = this.text.charCodeAt(this.pos);
    if (c == 0x7b) return this.parseObject(depth);
    if (c == 0x5b) return this.parseArray(depth);
    if (c == 0x22) {
      const s = this.parseString();
      return this.error.length > 0 ? null : JsonValue.ofString(s);
    }
    if (c == 0x2d || (c >= 0x30 && c <= 0x39)) return this.parseNumber();
    if (this.matchWord("true")) return JsonValue.ofBool(true);
    if (this.matchWord("false")) return JsonValue.ofBool(false);
    if (this.matchWord("null")) return JsonValue.nul();
    this.fail("unexpected character");
    return null;
  }

  matchWord(word: string): bool {
    if (this.text.startsWith(word, this.pos)) { this.pos += word.length; return true; }
    return false;
  }

  parseObject(depth: i32): JsonValue | null {
    const obj = JsonValue.object();
    this.pos++;
    this.skipSpace();
    if (this.pos < this.text.length && this.text.charCodeAt(this.pos) == 0x7d) { this.pos++; return obj; }
    while (true) {
      this.skipSpace();
      if (this.pos >= this.text.length || this.text.charCodeAt(this.pos) != 0x22) { this.fail("expected a string key"); return null; }
      const key = this.parseString();
      if (this.error.length > 0) return null;
      this.skipSpace();
      if (this.pos >= this.text.length || this.text.charCodeAt(this.pos) != 0x3a) { this.fail("expected ':'"); return null; }
      this.pos++;
      this.skipSpace();
      const value = this.parseValue(depth + 1);
      if (value == null) return null;
      obj.keys.push(key);
      obj.values.push(value);
      this.skipSpace();
      if (this.pos >= this.text.length) { this.fail("unexpected end of input in object"); return null; }
      const c = this.text.charCodeAt(this.pos);
      this.pos++;
      if (c == 0x7d) return obj;
      if (c != 0x2c) { this.pos--; this.fail("expected ',' or '}'"); return null; }
    }
  }

  parseArray(depth: i32): JsonValue | null {
    const arr = JsonValue.array();
    this.pos++;
    this.skipSpace();
    if (this.pos < this.text.length && this.text.charCodeAt(this.pos) == 0x5d) { this.pos++; return arr; }
    while (true) {
      this.skipSpace();
      const value = this.parseValue(depth + 1);
      if (value == null) return null;
      arr.items.push(value);
      this.skipSpace();
      if (this.pos >= this.text.length) { this.fail("unexpected end of input in array"); return null; }
      const c = this.text.charCodeAt(this.pos);
      this.pos++;
      if (c == 0x5d) return arr;
      if (c != 0x2c) { this.pos--; this.fail("expected ',' or ']'"); return null; }
    }
  }

  parseString(): string {
    const text = this.text;
    this.pos++; // opening quote
    let out = "";
    let runStart = this.pos;
    while (this.pos < text.length) {
      const c = text.charCodeAt(this.pos);
      if (c == 0x22) {
        out += text.substring(runStart, this.pos);
        this.pos++;
        return out;
      }
      if (c < 0x20) { this.fail("control character in string"); return ""; }
      if (c == 0x5c) {
        out += text.substring(runStart, this.pos);
        this.pos++;
        if (this.pos >= text.length) break;
        const e = text.charCodeAt(this.pos);
        this.pos++;
        if (e == 0x22) out += "\"";
        else if (e == 0x5c) out += "\\";
        else if (e == 0x2f) out += "/";
        else if (e == 0x62) out += "\b";
        else if (e == 0x66) out += "\f";
        else if (e == 0x6e) out += "\n";
        else if (e == 0x72) out += "\r";
        else if (e == 0x74) out += "\t";
        else if (e == 0x75) {
          const code = this.parseHex4();
          if (code < 0) { this.fail("bad \\u escape"); return ""; }
          out += String.fromCharCode(code);
        } else { this.pos--; this.fail("bad escape"); return ""; }
        runStart = this.pos;
        continue;
      }
      this.pos++;
    }
    this.fail("unterminated string");
    return "";
  }

  parseHex4(): i32 {
    if (this.pos + 4 > this.text.length) return -1;
    let code: i32 = 0;
    for (let i = 0; i < 4; i++) {
      const c = this.text.charCodeAt(this.pos + i);
      let d: i32 = -1;
      if (c >= 0x30 && c <= 0x39) d = c - 0x30;
      else if (c >= 0x61 && c <= 0x66) d = c - 0x61 + 10;
      else if (c >= 0x41 && c <= 0x46) d = c - 0x41 + 10;
      if (d < 0) return -1;
      code = code * 16 + d;
    }
    this.pos += 4;
    return code;
  }

  parseNumber(): JsonValue | null {
    const text = this.text;
    const start = this.pos;
    if (text.charCodeAt(this.pos) == 0x2d) this.pos++;
    if (this.pos >= text.length) { this.fail("bad number"); return null; }
    const first = text.charCodeAt(this.pos);
    if (first == 0x30) this.pos++;
    else if (first >= 0x31 && first <= 0x39) this.skipDigits();
    else { this.fail("bad number"); return null; }
    if (this.pos < text.length && text.charCodeAt(this.pos) == 0x2e) {
      this.pos++;
      if (this.skipDigits() == 0) { this.fail("bad number"); return null; }
    }
    if (this.pos < text.length) {
      const e = text.charCodeAt(this.pos);
      if (e == 0x65 || e == 0x45) {
        this.pos++;
        if (this.pos < text.length) {
          const sign = text.charCodeAt(this.pos);
          if (sign == 0x2b || sign == 0x2d) this.pos++;
        }
        if (this.skipDigits() == 0) { this.fail("bad number"); return null; }
      }
    }
    return JsonValue.ofNumber(decimalToF64(text, start, this.pos));
  }

  skipDigits(): i32 {
    const start = this.pos;
    while (this.pos < this.text.length) {
      const c = this.text.charCodeAt(this.pos);
      if (c < 0x30 || c > 0x39) break;
      this.pos++;
    }
    return this.pos - start;
  }
}

/** Serialises a value as compact JSON (object members in insertion order). */
export function stringifyJson(value: JsonValue): string {
  const kind = value.kind;
  if (kind == JsonKind.Null) return "null";
  if (kind == JsonKind.Bool) return value.bool ? "true" : "false";
  if (kind == JsonKind.Number) return formatNumber(value.num);
  if (kind == JsonKind.String) return quoteJson(value.str);
  let out = "";
  if (kind == JsonKind.Array) {
    out = "[";
    for (let i = 0; i < value.items.length; i++) {
      if (i > 0) out += ",";
      out += stringifyJson(value.items[i]);
    }
    return out + "]";
  }
  out = "{";
  for (let i = 0; i < value.keys.length; i++) {
    if (i > 0) out += ",";
    out += quoteJson(value.keys[i]) + ":" + stringifyJson(value.values[i]);
  }
  return out + "}";
}

/** JSON text of a number, identical on both builds (asc prints 1.0 for f64 1, and its toString is
 *  not always V8's shortest form). Non-finite numbers print as null. */
export function formatNumber(n: f64): string {
  if (n != n || n == Infinity || n == -Infinity) return "null";
  if (n == Math.floor(n) && Math.abs(n) < 9007199254740992) {
    if (n == 0) return "0";
    return formatInteger(n);
  }
  return shortestDecimal(n);
}

function formatInteger(n: f64): string {
  let negative = false;
  if (n < 0) { negative = true; n = -n; }
  let digits = "";
  while (n >= 1) {
    const d = i32(n % 10);
    digits = String.fromCharCode(0x30 + d) + digits;
    n = Math.floor(n / 10);
  }
  return negative ? "-" + digits : digits;
}

/** Shortest digits that read back as the same double, the closest such on ties — ECMAScript's
 *  Number::toString — computed from the exact expansion, so both builds print the same text. */
function shortestDecimal(n: f64): string {
  const negative = n < 0;
  const exact = exactDecimal(negative ? -n : n);
  let rounded = exact;
  for (let precision: i32 = 1; precision <= 17; precision++) {
    rounded = roundDigits(exact, precision);
    const candidate = rounded.digits + "e" + rounded.scale.toString();
    if (decimalToF64(candidate, 0, candidate.length) == (negative ? -n : n)) break;
  }
  let digits = rounded.digits;
  let scale = rounded.scale;
  while (digits.length > 1 && digits.charCodeAt(digits.length - 1) == 0x30) {
    digits = digits.substring(0, digits.length - 1);
    scale++;
  }
  const text = layoutDecimal(digits, scale);
  return negative ? "-" + text : text;
}

/** ECMAScript Number::toString layout of digits × 10^scale. */
function layoutDecimal(digits: string, scale: i32): string {
  const count = digits.length;
  const point = count + scale;
  if (count <= point && point <= 21) return digits + "0".repeat(point - count);
  if (0 < point && point <= 21) return digits.substring(0, point) + "." + digits.substring(point);
  if (-6 < point && point <= 0) return "0." + "0".repeat(-point) + digits;
  const e = point - 1;
  const mantissa = count > 1 ? digits.substring(0, 1) + "." + digits.substring(1) : digits;
  return mantissa + "e" + (e < 0 ? "-" : "+") + (e < 0 ? -e : e).toString();
}

const HEX = "0123456789abcdef";

export function quoteJson(s: string): string {
  let out = "\"";
  let runStart = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c != 0x22 && c != 0x5c) continue;
    out += s.substring(runStart, i);
    if (c == 0x22) out += "\\\"";
    else if (c == 0x5c) out += "\\\\";
    else if (c == 0x0a) out += "\\n";
    else if (c == 0x0d) out += "\\r";
    else if (c == 0x09) out += "\\t";
    else out += "\\u00" + HEX.charAt(c >> 4) + HEX.charAt(c & 15);
    runStart = i + 1;
  }
  return out + s.substring(runStart) + "\"";
}

/** RFC 6901 JSON Pointer lookup; null when absent or when the pointer is malformed. */
export function jsonPointer(root: JsonValue, pointer: string): JsonValue | null {
  if (pointer.length == 0) return root;
  if (pointer.charCodeAt(0) != 0x2f) return null;
  let current: JsonValue = root;
  const parts = pointer.substring(1).split("/");
  for (let i = 0; i < parts.length; i++) {
    const token = parts[i].replaceAll("~1", "/").replaceAll("~0", "~");
    if (current.isObject()) {
      const next = current.get(token);
      if (next == null) return null;
      current = next;
    } else if (current.isArray()) {
      const index = parseArrayIndex(token);
      if (index < 0 || index >= current.items.length) return null;
      current = current.items[index];
    } else {
      return null;
    }
  }
  return current;
}

function parseArrayIndex(token: string): i32 {
  if (token.length == 0 || token.length > 9) return -1;
  if (token.length > 1 && token.charCodeAt(0) == 0x30) return -1;
  let n: i32 = 0;
  for (let i = 0; i < token.length; i++) {
    const c = token.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return -1;
    n = n * 10 + (c - 0x30);
  }
  return n;
}

/** Structural equality (numbers by value, object members order-insensitive). */
export function jsonEquals(a: JsonValue, b: JsonValue): bool {
  if (a.kind != b.kind) return false;
  if (a.kind == JsonKind.Null) return true;
  if (a.kind == JsonKind.Bool) return a.bool == b.bool;
  if (a.kind == JsonKind.Number) return a.num == b.num;
  if (a.kind == JsonKind.String) return a.str == b.str;
  if (a.kind == JsonKind.Array) {
    if (a.items.length != b.items.length) return false;
    for (let i = 0; i < a.items.length; i++) if (!jsonEquals(a.items[i], b.items[i])) return false;
    return true;
  }
  if (a.keys.length != b.keys.length) return false;
  for (let i = 0; i < a.keys.length; i++) {
    const other = b.get(a.keys[i]);
    if (other == null || !jsonEquals(a.values[i], other)) return false;
  }
  return true;
}
