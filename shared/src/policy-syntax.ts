// Character-level rules for policy strings: header names, URLs, path rules, pointers, targets.
// Each predicate answers one "is this string acceptable" question from shared/README.md. Length limits come from the
// field table: a syntax several fields share reads its SYNTAX_* limit (policy-fields.ts's SHARED_SYNTAX), a check
// for one field takes that field's limit as an argument.
import {
  SYNTAX_AUTHORITY_MAX_LENGTH, SYNTAX_AUTHORITY_MIN_LENGTH, SYNTAX_HEADER_NAME_MAX_LENGTH, SYNTAX_HEADER_NAME_MIN_LENGTH,
  SYNTAX_PATH_RULE_MAX_LENGTH, SYNTAX_PATH_RULE_MIN_LENGTH, SYNTAX_SF_TOKEN_MAX_LENGTH, SYNTAX_SF_TOKEN_MIN_LENGTH,
  SYNTAX_TARGET_HOST_MAX_LENGTH, SYNTAX_TARGET_HOST_MIN_LENGTH,
} from "./policy-facts.generated";

/** RFC 9110 tchar. */
export function isTchar(c: i32): bool {
  if ((c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39)) return true;
  return c == 0x21 || c == 0x23 || c == 0x24 || c == 0x25 || c == 0x26 || c == 0x27 || c == 0x2a ||
    c == 0x2b || c == 0x2d || c == 0x2e || c == 0x5e || c == 0x5f || c == 0x60 || c == 0x7c || c == 0x7e;
}

export function isToken(s: string, minLength: i32, maxLength: i32): bool {
  if (s.length < minLength || s.length > maxLength) return false;
  for (let i = 0; i < s.length; i++) if (!isTchar(s.charCodeAt(i))) return false;
  return true;
}

export function isHeaderName(s: string): bool {
  return isToken(s, SYNTAX_HEADER_NAME_MIN_LENGTH, SYNTAX_HEADER_NAME_MAX_LENGTH);
}

/** Only `!`..`~`: no space, no control, no non-ASCII. */
export function isVisibleAscii(s: string, minLength: i32, maxLength: i32): bool {
  if (s.length < minLength || s.length > maxLength) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

export function hasNoControl(s: string, minLength: i32, maxLength: i32): bool {
  if (s.length < minLength || s.length > maxLength) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c == 0x7f) return false;
  }
  return true;
}

/** Space to `~`, without `"` and `\` (the content of a quoted-string that needs no escaping). */
export function isRealm(s: string, maxLength: i32): bool {
  if (s.length > maxLength) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c == 0x22 || c == 0x5c) return false;
  }
  return true;
}

/** RFC 3986 unreserved characters only. */
export function isUnreservedName(s: string, minLength: i32, maxLength: i32): bool {
  if (s.length < minLength || s.length > maxLength) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const alnum = (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39);
    if (!alnum && c != 0x2d && c != 0x2e && c != 0x5f && c != 0x7e) return false;
  }
  return true;
}

/** Structured-field token (RFC 8941): ALPHA or `*`, then tchar, `:` or `/`. */
export function isSfToken(s: string): bool {
  if (s.length < SYNTAX_SF_TOKEN_MIN_LENGTH || s.length > SYNTAX_SF_TOKEN_MAX_LENGTH) return false;
  const first = s.charCodeAt(0);
  if (!((first >= 0x61 && first <= 0x7a) || (first >= 0x41 && first <= 0x5a) || first == 0x2a)) return false;
  for (let i = 1; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!isTchar(c) && c != 0x3a && c != 0x2f) return false;
  }
  return true;
}

/** Decimal port 1..65535 (digits only). */
export function parsePort(s: string): i32 {
  if (s.length < 1 || s.length > 5) return -1;
  let port: i32 = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return -1;
    port = port * 10 + (c - 0x30);
  }
  return port >= 1 && port <= 65535 ? port : -1;
}

/** host, host:port, [v6] or [v6]:port; visible ASCII, no `/ ? # @`. */
export function isAuthority(s: string): bool {
  if (!isVisibleAscii(s, SYNTAX_AUTHORITY_MIN_LENGTH, SYNTAX_AUTHORITY_MAX_LENGTH)) return false;
  if (s.indexOf("/") >= 0 || s.indexOf("?") >= 0 || s.indexOf("#") >= 0 || s.indexOf("@") >= 0) return false;
  let rest = "";
  if (s.charCodeAt(0) == 0x5b) {
    const close = s.indexOf("]");
    if (close < 2) return false;
    rest = s.substring(close + 1);
    if (rest.length == 0) return true;
    return rest.charCodeAt(0) == 0x3a && parsePort(rest.substring(1)) > 0;
  }
  const colon = s.indexOf(":");
  if (colon < 0) return true;
  if (colon == 0) return false;
  return parsePort(s.substring(colon + 1)) > 0;
}

/** http(s)://authority[/path][?query], no fragment, no credentials, visible ASCII. */
export function isHttpUrl(s: string, minLength: i32, maxLength: i32): bool {
  if (!isVisibleAscii(s, minLength, maxLength)) return false;
  if (s.indexOf("#") >= 0) return false;
  let rest = "";
  if (s.length >= 7 && s.substring(0, 7).toLowerCase() == "http://") rest = s.substring(7);
  else if (s.length >= 8 && s.substring(0, 8).toLowerCase() == "https://") rest = s.substring(8);
  else return false;
  let end = rest.length;
  const slash = rest.indexOf("/");
  const question = rest.indexOf("?");
  if (slash >= 0 && slash < end) end = slash;
  if (question >= 0 && question < end) end = question;
  return isAuthority(rest.substring(0, end));
}

/** `:path` of the auth call: starts with `/`, no fragment. */
export function isRequestPath(s: string, minLength: i32, maxLength: i32): bool {
  return isVisibleAscii(s, minLength, maxLength) && s.charCodeAt(0) == 0x2f && s.indexOf("#") < 0;
}

/** `/exact` or `/prefix*`: visible ASCII, no `?` or `#`, `*` only last. */
export function isPathRule(s: string): bool {
  if (!isVisibleAscii(s, SYNTAX_PATH_RULE_MIN_LENGTH, SYNTAX_PATH_RULE_MAX_LENGTH) || s.charCodeAt(0) != 0x2f) return false;
  if (s.indexOf("?") >= 0 || s.indexOf("#") >= 0) return false;
  const star = s.indexOf("*");
  return star < 0 || star == s.length - 1;
}

/** RFC 6901 pointer that selects something below the root: `/`, then `~` only as `~0` / `~1`. */
export function isJsonPointer(s: string, minLength: i32, maxLength: i32): bool {
  if (!hasNoControl(s, minLength, maxLength) || s.charCodeAt(0) != 0x2f) return false;
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) != 0x7e) continue;
    if (i + 1 >= s.length) return false;
    const next = s.charCodeAt(i + 1);
    if (next != 0x30 && next != 0x31) return false;
  }
  return true;
}

/** Host of a Kong target: letters, digits, `-`, `.`, `_`. */
export function isTargetHost(s: string): bool {
  if (s.length < SYNTAX_TARGET_HOST_MIN_LENGTH || s.length > SYNTAX_TARGET_HOST_MAX_LENGTH) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const alnum = (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39);
    if (!alnum && c != 0x2d && c != 0x2e && c != 0x5f) return false;
  }
  return true;
}
