// Digests the core needs: SHA-256 (FIPS 180-4) for decision-cache keys — cryptographic, so no one can
// craft a token that collides with another token's cached allow — and FNV-1a for canary buckets.
// All 32-bit arithmetic is written so it wraps identically under tsc and asc.
import { utf8Encode } from "./utf8";

const K: Array<u32> = [
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

function rotr32(x: u32, n: i32): u32 { return u32((x >>> n) | (x << (32 - n))); }

export function sha256(data: Uint8Array): Uint8Array {
  const length: i32 = data.length;
  const padded = new Uint8Array(((length + 9 + 63) >> 6) << 6);
  for (let i = 0; i < length; i++) padded[i] = data[i];
  padded[length] = 0x80;
  const bitLength: f64 = f64(length) * 8;
  const high: u32 = u32(Math.floor(bitLength / 4294967296));
  const low: u32 = u32(bitLength - f64(high) * 4294967296);
  const end = padded.length;
  padded[end - 8] = u8(high >>> 24); padded[end - 7] = u8(high >>> 16); padded[end - 6] = u8(high >>> 8); padded[end - 5] = u8(high);
  padded[end - 4] = u8(low >>> 24); padded[end - 3] = u8(low >>> 16); padded[end - 2] = u8(low >>> 8); padded[end - 1] = u8(low);

  let h0: u32 = 0x6a09e667, h1: u32 = 0xbb67ae85, h2: u32 = 0x3c6ef372, h3: u32 = 0xa54ff53a;
  let h4: u32 = 0x510e527f, h5: u32 = 0x9b05688c, h6: u32 = 0x1f83d9ab, h7: u32 = 0x5be0cd19;
  const w = new Array<u32>(64);
  for (let block = 0; block < end; block += 64) {
    for (let t = 0; t < 16; t++) {
      const p = block + t * 4;
      w[t] = u32((u32(padded[p]) << 24) | (u32(padded[p + 1]) << 16) | (u32(padded[p + 2]) << 8) | u32(padded[p + 3]));
    }
    for (let t = 16; t < 64; t++) {
      const x = w[t - 15];
      const y = w[t - 2];
      const s0: u32 = u32(rotr32(x, 7) ^ rotr32(x, 18) ^ (x >>> 3));
      const s1: u32 = u32(rotr32(y, 17) ^ rotr32(y, 19) ^ (y >>> 10));
      w[t] = u32(w[t - 16] + s0 + w[t - 7] + s1);
    }
    let a = h0, b = h1, c = h2, d = h3, e = h4, f = h5, g = h6, h = h7;
    for (let t = 0; t < 64; t++) {
      const S1: u32 = u32(rotr32(e, 6) ^ rotr32(e, 11) ^ rotr32(e, 25));
      const ch: u32 = u32((e & f) ^ (~e & g));
      const temp1: u32 = u32(h + S1 + ch + K[t] + w[t]);
      const S0: u32 = u32(rotr32(a, 2) ^ rotr32(a, 13) ^ rotr32(a, 22));
      const maj: u32 = u32((a & b) ^ (a & c) ^ (b & c));
      const temp2: u32 = u32(S0 + maj);
      h = g; g = f; f = e; e = u32(d + temp1); d = c; c = b; b = a; a = u32(temp1 + temp2);
    }
    h0 = u32(h0 + a); h1 = u32(h1 + b); h2 = u32(h2 + c); h3 = u32(h3 + d);
    h4 = u32(h4 + e); h5 = u32(h5 + f); h6 = u32(h6 + g); h7 = u32(h7 + h);
  }
  const digest = new Uint8Array(32);
  writeWord(digest, 0, h0); writeWord(digest, 4, h1); writeWord(digest, 8, h2); writeWord(digest, 12, h3);
  writeWord(digest, 16, h4); writeWord(digest, 20, h5); writeWord(digest, 24, h6); writeWord(digest, 28, h7);
  return digest;
}

function writeWord(out: Uint8Array, at: i32, word: u32): void {
  out[at] = u8(word >>> 24); out[at + 1] = u8(word >>> 16); out[at + 2] = u8(word >>> 8); out[at + 3] = u8(word);
}

const HEX_DIGITS = "0123456789abcdef";

export function toHex(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i++) {
    const b: i32 = i32(bytes[i]);
    out += HEX_DIGITS.charAt(b >> 4) + HEX_DIGITS.charAt(b & 15);
  }
  return out;
}

export const FNV1A32_OFFSET: u32 = 2166136261;

/** FNV-1a over UTF-8 bytes. Not for security: canary buckets only. `h * 16777619` mod 2^32 is
 *  written as (h << 24) + h * 403 so the products wrap identically on both builds. */
export function fnv1a32(data: Uint8Array): u32 {
  return fnv1a32Continue(FNV1A32_OFFSET, data);
}

/** FNV-1a of more bytes, from the state `h` a previous part left. */
export function fnv1a32Continue(h: u32, data: Uint8Array): u32 {
  for (let i = 0; i < data.length; i++) h = fnvStep(h, u32(data[i]));
  return h;
}

/** fnv1a32Continue(h, utf8Encode(text)), without encoding while the code units are ASCII (a UTF-8 byte each).
 *  Parts hashed one after the other hash as their concatenation when no surrogate pair straddles a boundary
 *  (an ASCII separator between them is enough). */
export function fnv1a32ContinueText(h: u32, text: string): u32 {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x80) return fnv1a32Continue(h, utf8Encode(text.substring(i)));
    h = fnvStep(h, u32(c));
  }
  return h;
}

function fnvStep(h: u32, byte: u32): u32 {
  const x = u32(h ^ byte);
  return u32(u32(x << 24) + u32(x * 403));
}
