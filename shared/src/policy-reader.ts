// Collects policy errors in the documented format and reads typed fields out of JsonValues.
// Format (shared/README.md, "Error format"): `<path>: expected <what>, got <value>`,
// `<path>: unknown field[, did you mean "<field>"?] (known: <fields>)`, `<path>: duplicate field`.
import { JsonValue, formatNumber, quoteJson } from "./json";

export class PolicyErrors {
  list: Array<string> = new Array<string>();

  /** `value` null = the field is missing ("got nothing"). */
  expected(path: string, what: string, value: JsonValue | null): void {
    this.list.push(path + ": expected " + what + ", got " + describeValue(value));
  }

  /** For secrets: only the kind of the value appears. */
  expectedSecret(path: string, what: string, value: JsonValue): void {
    this.list.push(path + ": expected " + what + ", got " + value.kindName());
  }

  expectedGot(path: string, what: string, got: string): void {
    this.list.push(path + ": expected " + what + ", got " + got);
  }

  /** `known`: the fields valid at that level, listed in the error (with the closest one when it is close). */
  unknown(path: string, key: string, known: Array<string>): void {
    const suggestion = closestField(key, known);
    let line = path + ": unknown field";
    if (suggestion.length > 0) line += ", did you mean " + quoteJson(suggestion) + "?";
    line += " (known: " + known.join(", ") + ")";
    this.list.push(line);
  }

  duplicate(path: string): void {
    this.list.push(path + ": duplicate field");
  }
}

/**
 * Walks an object's members once: `accept` answers whether a member is a known field seen for the
 * first time (and reports unknown and duplicate fields otherwise). `listed`, when given, is what the unknown-field
 * error lists instead of `fields`: a route's section is parsed over the top-level one, whose top-only members it
 * accepts from there but must not offer as known.
 */
export class MemberWalk {
  seen: Array<string> = new Array<string>();
  constructor(public errors: PolicyErrors, public fields: Array<string>, public listed: Array<string> | null = null) {}

  accept(key: string, path: string): bool {
    if (!this.fields.includes(key)) {
      const listed = this.listed;
      this.errors.unknown(path, key, listed != null ? listed : this.fields);
      return false;
    }
    if (this.seen.includes(key)) { this.errors.duplicate(path); return false; }
    this.seen.push(key);
    return true;
  }
}

export function memberPath(parent: string, key: string): string {
  if (isPlainKey(key)) return parent.length == 0 ? key : parent + "." + key;
  return parent + "[" + quoteJson(key) + "]";
}

export function itemPath(parent: string, index: i32): string {
  return parent + "[" + index.toString() + "]";
}

function isPlainKey(key: string): bool {
  if (key.length == 0) return false;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    const alnum = (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39);
    if (!alnum && c != 0x5f && c != 0x2d) return false;
  }
  return true;
}

const LONGEST_SHOWN_STRING: i32 = 64;

export function describeValue(value: JsonValue | null): string {
  if (value == null) return "nothing";
  if (value.isNull()) return "null";
  if (value.isBool()) return value.bool ? "true" : "false";
  if (value.isNumber()) {
    const n = value.num;
    if (n != n || n == Infinity || n == -Infinity) return "number out of range";
    return formatNumber(n);
  }
  if (value.isString()) return describeText(value.str);
  if (value.isArray()) {
    const count = value.items.length;
    return "array of " + count.toString() + (count == 1 ? " item" : " items");
  }
  return "object";
}

/** A string as errors echo it: JSON-quoted (control characters escaped), or only its length when long. */
export function describeText(text: string): string {
  if (text.length > LONGEST_SHOWN_STRING) return "string of " + text.length.toString() + " characters";
  return quoteJson(text);
}

/**
 * The known field a mistyped key most likely meant, or "": compared with ASCII case ignored, the one at the
 * smallest edit distance when that distance is at most half the shorter name (`perSecond` → `periodSeconds`,
 * `timeout` → `timeoutMs`), or one that contains the other (`ttl` → `ttlSeconds`). Ties go to the earlier field.
 */
export function closestField(key: string, known: Array<string>): string {
  const typed = key.toLowerCase();
  let best = "";
  let bestDistance: i32 = 0x7fffffff;
  for (let i = 0; i < known.length; i++) {
    const candidate = known[i].toLowerCase();
    const shorter = typed.length < candidate.length ? typed.length : candidate.length;
    let distance = editDistance(typed, candidate);
    const contains = shorter >= 3 && (candidate.includes(typed) || typed.includes(candidate));
    if (distance * 2 > shorter && !contains) continue;
    if (contains && distance * 2 > shorter) distance = shorter;
    if (distance < bestDistance) { best = known[i]; bestDistance = distance; }
  }
  return best;
}

/** Levenshtein distance (insert, delete, substitute one UTF-16 unit), two rows. */
function editDistance(a: string, b: string): i32 {
  let previous = new Array<i32>(b.length + 1);
  let current = new Array<i32>(b.length + 1);
  for (let j = 0; j <= b.length; j++) previous[j] = j;
  for (let i = 1; i <= a.length; i++) {
    current[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const substitute = previous[j - 1] + (a.charCodeAt(i - 1) == b.charCodeAt(j - 1) ? 0 : 1);
      const remove = previous[j] + 1;
      const insert = current[j - 1] + 1;
      current[j] = min(substitute, min(remove, insert));
    }
    const swap = previous;
    previous = current;
    current = swap;
  }
  return previous[b.length];
}

// ---- typed readers: each reports its own error and returns the fallback when the value is invalid ----

export function readBool(errors: PolicyErrors, value: JsonValue, path: string, fallback: bool): bool {
  if (value.isBool()) return value.bool;
  errors.expected(path, "boolean", value);
  return fallback;
}

export function isIntegerIn(value: JsonValue, low: f64, high: f64): bool {
  if (!value.isNumber()) return false;
  const n = value.num;
  return n == Math.floor(n) && n >= low && n <= high;
}

/** `what`: the field's phrase from the field table (policy-facts.generated.ts), e.g. `integer 1..60000`. */
export function readInt(errors: PolicyErrors, value: JsonValue, path: string, what: string, low: i32, high: i32, fallback: i32): i32 {
  if (isIntegerIn(value, f64(low), f64(high))) return i32(value.num);
  errors.expected(path, what, value);
  return fallback;
}

/** `what`: the field's phrase from the field table (policy-facts.generated.ts), e.g. `number 0..86400`. */
export function readNumber(errors: PolicyErrors, value: JsonValue, path: string, what: string, low: f64, high: f64, fallback: f64): f64 {
  if (value.isNumber() && value.num >= low && value.num <= high) return value.num;
  errors.expected(path, what, value);
  return fallback;
}

/** Index of the string in `options`, or -1 after reporting `one of "a", "b"`. */
export function readChoice(errors: PolicyErrors, value: JsonValue, path: string, options: Array<string>): i32 {
  if (value.isString()) {
    const at = options.indexOf(value.str);
    if (at >= 0) return at;
  }
  errors.expected(path, choicePhrase(options), value);
  return -1;
}

export function choicePhrase(options: Array<string>): string {
  let phrase = "one of ";
  for (let i = 0; i < options.length; i++) {
    if (i > 0) phrase += ", ";
    phrase += quoteJson(options[i]);
  }
  return phrase;
}

// ---- numbers in error messages ----

