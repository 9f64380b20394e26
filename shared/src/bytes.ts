// Byte encodings the signature path reads: hex (curve constants, test vectors) and base64url without padding
// (RFC 7515 §2, RFC 4648 §5) for JWS parts and JWK members.

function hexDigit(c: i32): i32 {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** Hex text → bytes, or null on an odd length or a non-hex character. */
export function fromHex(hex: string): Uint8Array | null {
  if ((hex.length & 1) != 0) return null;
  const out = new Uint8Array(hex.length >> 1);
  for (let i = 0; i < out.length; i++) {
    const hi = hexDigit(hex.charCodeAt(i * 2));
    const lo = hexDigit(hex.charCodeAt(i * 2 + 1));
    if (hi < 0 || lo < 0) return null;
    out[i] = u8((hi << 4) | lo);
  }
  return out;
}

function base64urlValue(c: i32): i32 {
  if (c >= 65 && c <= 90) return c - 65;
  if (c >= 97 && c <= 122) return c - 71;
  if (c >= 48 && c <= 57) return c + 4;
  if (c == 45) return 62; // '-'
  if (c == 95) return 63; // '_'
  return -1;
}

/** base64url of text[start, end) without padding → bytes, or null when it is not the canonical encoding of some
 *  bytes: a character outside the alphabet (padding '=' included), a length of 1 mod 4, or non-zero unused bits
 *  in the last character (so every byte string has exactly one accepted spelling). */
export function base64urlDecodeRange(text: string, start: i32, end: i32): Uint8Array | null {
  const length = end - start;
  if ((length & 3) == 1) return null;
  const out = new Uint8Array((length * 3) >> 2);
  let acc: u32 = 0;
  let bits: i32 = 0;
  let at = 0;
  for (let i = start; i < end; i++) {
    const v = base64urlValue(text.charCodeAt(i));
    if (v < 0) return null;
    acc = u32(((acc << 6) | u32(v)) & 0xffffff);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[at++] = u8(acc >>> u32(bits));
    }
  }
  if (bits > 0 && (acc & u32((1 << bits) - 1)) != 0) return null;
  return out;
}

export function base64urlDecode(text: string): Uint8Array | null {
  return base64urlDecodeRange(text, 0, text.length);
}

export function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
