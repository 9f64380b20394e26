// RFC 6750 §3 WWW-Authenticate challenges. A request without credentials gets no error code
// (§3.1: "SHOULD NOT include an error code"); a bad token gets error="invalid_token".

export function bearerChallenge(realm: string, errorCode: string, scope: string): string {
  let out = "Bearer realm=" + quoteString(realm);
  if (errorCode.length > 0) out += ", error=" + quoteString(errorCode);
  if (scope.length > 0) out += ", scope=" + quoteString(scope);
  return out;
}

/** RFC 9110 quoted-string: backslash-escape `"` and `\`; control characters are dropped. */
export function quoteString(s: string): string {
  let out = "\"";
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 && c != 0x09) continue;
    if (c == 0x7f) continue;
    if (c == 0x22 || c == 0x5c) out += "\\";
    out += String.fromCharCode(c);
  }
  return out + "\"";
}
