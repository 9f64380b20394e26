// UTF-8 encoding and WHATWG-conformant decoding (invalid sequences become U+FFFD per maximal
// subpart), so bytes from the wire decode identically on both planes; and the strict reading of text the auth
// service sends (utf8TextOf), which refuses what is not well-formed instead of replacing it.

export function utf8Encode(s: string): Uint8Array {
  let size: i32 = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) size += 1;
    else if (c < 0x800) size += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && isLowSurrogate(s.charCodeAt(i + 1))) { size += 4; i++; }
    else size += 3;
  }
  const out = new Uint8Array(size);
  let p: i32 = 0;
  for (let i = 0; i < s.length; i++) {
    let c: i32 = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && isLowSurrogate(s.charCodeAt(i + 1))) {
      c = 0x10000 + ((c - 0xd800) << 10) + (s.charCodeAt(i + 1) - 0xdc00);
      i++;
    } else if (c >= 0xd800 && c <= 0xdfff) {
      c = 0xfffd; // lone surrogate
    }
    if (c < 0x80) { out[p++] = u8(c); }
    else if (c < 0x800) { out[p++] = u8(0xc0 | (c >> 6)); out[p++] = u8(0x80 | (c & 0x3f)); }
    else if (c < 0x10000) { out[p++] = u8(0xe0 | (c >> 12)); out[p++] = u8(0x80 | ((c >> 6) & 0x3f)); out[p++] = u8(0x80 | (c & 0x3f)); }
    else {
      out[p++] = u8(0xf0 | (c >> 18)); out[p++] = u8(0x80 | ((c >> 12) & 0x3f));
      out[p++] = u8(0x80 | ((c >> 6) & 0x3f)); out[p++] = u8(0x80 | (c & 0x3f));
    }
  }
  return out;
}

function isLowSurrogate(c: i32): bool { return c >= 0xdc00 && c <= 0xdfff; }

export function utf8Decode(bytes: Uint8Array): string {
  let out = "";
  let chunk = new Array<i32>();
  let needed: i32 = 0;
  let seen: i32 = 0;
  let codePoint: i32 = 0;
  let lower: i32 = 0x80;
  let upper: i32 = 0xbf;
  let i: i32 = 0;
  while (i < bytes.length) {
    const b: i32 = i32(bytes[i]);
    if (needed == 0) {
      if (b < 0x80) { chunk.push(b); }
      else if (b >= 0xc2 && b <= 0xdf) { needed = 1; codePoint = b & 0x1f; }
      else if (b >= 0xe0 && b <= 0xef) {
        if (b == 0xe0) lower = 0xa0;
        if (b == 0xed) upper = 0x9f;
        needed = 2; codePoint = b & 0xf;
      } else if (b >= 0xf0 && b <= 0xf4) {
        if (b == 0xf0) lower = 0x90;
        if (b == 0xf4) upper = 0x8f;
        needed = 3; codePoint = b & 0x7;
      } else { chunk.push(0xfffd); }
      i++;
    } else if (b < lower || b > upper) {
      // Maximal subpart ends here; the byte is reprocessed as a fresh lead.
      needed = 0; seen = 0; codePoint = 0; lower = 0x80; upper = 0xbf;
      chunk.push(0xfffd);
    } else {
      lower = 0x80; upper = 0xbf;
      codePoint = (codePoint << 6) | (b & 0x3f);
      seen++;
      i++;
      if (seen == needed) { chunk.push(codePoint); needed = 0; seen = 0; codePoint = 0; }
    }
    if (chunk.length >= 1024) { out += codePointsToString(chunk); chunk = new Array<i32>(); }
  }
  if (needed != 0) chunk.push(0xfffd);
  return out + codePointsToString(chunk);
}

function codePointsToString(points: Array<i32>): string {
  let out = "";
  for (let i = 0; i < points.length; i++) {
    const c = points[i];
    if (c < 0x10000) out += String.fromCharCode(c);
    else {
      const v = c - 0x10000;
      out += String.fromCharCode(0xd800 + (v >> 10), 0xdc00 + (v & 0x3ff));
    }
  }
  return out;
}

/** The text whose UTF-8 encoding is `bytes` — a byte string, one character per byte (0x00–0xFF) — or null when
 *  `bytes` is not well-formed UTF-8 (RFC 3629: an overlong form, a surrogate, a code point above U+10FFFF, a
 *  stray or missing continuation byte) or holds a character above 0xFF. Nothing is replaced: the text is exactly
 *  the bytes, or there is none (DECISIONS.md §3.3). ASCII comes back as it is, without a copy. */
export function utf8TextOf(bytes: string): string | null {
  let ascii = true;
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes.charCodeAt(i);
    if (c > 0xff) return null;
    if (c >= 0x80) ascii = false;
  }
  if (ascii) return bytes;
  const raw = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) raw[i] = u8(bytes.charCodeAt(i));
  return isWellFormedUtf8(raw) ? utf8Decode(raw) : null;
}

/** Whether `bytes` is well-formed UTF-8: the ranges of RFC 3629 §4 (the same the WHATWG decoder accepts). */
function isWellFormedUtf8(bytes: Uint8Array): bool {
  let i: i32 = 0;
  while (i < bytes.length) {
    const lead: i32 = i32(bytes[i]);
    if (lead < 0x80) { i++; continue; }
    let continuations: i32 = 0;
    let lower: i32 = 0x80;
    let upper: i32 = 0xbf;
    if (lead >= 0xc2 && lead <= 0xdf) continuations = 1;
    else if (lead >= 0xe0 && lead <= 0xef) {
      continuations = 2;
      if (lead == 0xe0) lower = 0xa0;
      if (lead == 0xed) upper = 0x9f;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      continuations = 3;
      if (lead == 0xf0) lower = 0x90;
      if (lead == 0xf4) upper = 0x8f;
    } else return false;
    if (i + continuations >= bytes.length) return false;
    for (let k: i32 = 1; k <= continuations; k++) {
      const b: i32 = i32(bytes[i + k]);
      if (b < lower || b > upper) return false;
      lower = 0x80;
      upper = 0xbf;
    }
    i += continuations + 1;
  }
  return true;
}

/** The UTF-8 bytes of `text` as a byte string (one character per byte): the form request bytes take in the core. */
export function utf8ByteString(text: string): string {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) >= 0x80) return byteString(utf8Encode(text));
  return text;
}

function byteString(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i++) out += String.fromCharCode(bytes[i]);
  return out;
}
