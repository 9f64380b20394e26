// SHA-256 (FIPS 180-4) for the wasm build: the same function as the core's portable `sha256`, written
// with unchecked loads, the rotr builtin and static buffers, because the portable one (bounds-checked
// arrays, a padded copy, a string-concatenating hex) costs about 60 µs for a 1 KB token in V8.
// test/planes/envoy-cache.test.ts proves the keys equal the core's on every padding boundary.
import { utf8Encode } from "../../../shared/src/utf8";

const K: StaticArray<u32> = [
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

const W = memory.data(64 * 4, 16);
const STATE = memory.data(8 * 4, 16);
// The last one or two blocks: the message tail, 0x80, zeros, the 64-bit big-endian bit length.
const TAIL = memory.data(128, 16);
const HEX = "0123456789abcdef";

function compress(block: usize): void {
  for (let t: usize = 0; t < 16; t++) store<u32>(W + (t << 2), bswap<u32>(load<u32>(block + (t << 2))));
  for (let t: usize = 16; t < 64; t++) {
    const x = load<u32>(W + ((t - 15) << 2));
    const y = load<u32>(W + ((t - 2) << 2));
    const s0 = rotr<u32>(x, 7) ^ rotr<u32>(x, 18) ^ (x >>> 3);
    const s1 = rotr<u32>(y, 17) ^ rotr<u32>(y, 19) ^ (y >>> 10);
    store<u32>(W + (t << 2), load<u32>(W + ((t - 16) << 2)) + s0 + load<u32>(W + ((t - 7) << 2)) + s1);
  }
  let a = load<u32>(STATE), b = load<u32>(STATE, 4), c = load<u32>(STATE, 8), d = load<u32>(STATE, 12);
  let e = load<u32>(STATE, 16), f = load<u32>(STATE, 20), g = load<u32>(STATE, 24), h = load<u32>(STATE, 28);
  for (let t = 0; t < 64; t++) {
    const s1 = rotr<u32>(e, 6) ^ rotr<u32>(e, 11) ^ rotr<u32>(e, 25);
    const ch = (e & f) ^ (~e & g);
    const temp1 = h + s1 + ch + unchecked(K[t]) + load<u32>(W + (<usize>t << 2));
    const s0 = rotr<u32>(a, 2) ^ rotr<u32>(a, 13) ^ rotr<u32>(a, 22);
    const maj = (a & b) ^ (a & c) ^ (b & c);
    h = g; g = f; f = e; e = d + temp1; d = c; c = b; b = a; a = temp1 + s0 + maj;
  }
  store<u32>(STATE, load<u32>(STATE) + a); store<u32>(STATE, load<u32>(STATE, 4) + b, 4);
  store<u32>(STATE, load<u32>(STATE, 8) + c, 8); store<u32>(STATE, load<u32>(STATE, 12) + d, 12);
  store<u32>(STATE, load<u32>(STATE, 16) + e, 16); store<u32>(STATE, load<u32>(STATE, 20) + f, 20);
  store<u32>(STATE, load<u32>(STATE, 24) + g, 24); store<u32>(STATE, load<u32>(STATE, 28) + h, 28);
}

function digestBytes(data: usize, length: usize): void {
  store<u32>(STATE, 0x6a09e667); store<u32>(STATE, 0xbb67ae85, 4); store<u32>(STATE, 0x3c6ef372, 8);
  store<u32>(STATE, 0xa54ff53a, 12); store<u32>(STATE, 0x510e527f, 16); store<u32>(STATE, 0x9b05688c, 20);
  store<u32>(STATE, 0x1f83d9ab, 24); store<u32>(STATE, 0x5be0cd19, 28);
  const full = length & ~<usize>63;
  for (let at: usize = 0; at < full; at += 64) compress(data + at);
  const rest = length - full;
  memory.fill(TAIL, 0, 128);
  memory.copy(TAIL, data + full, rest);
  store<u8>(TAIL + rest, 0x80);
  const tailSize: usize = rest < 56 ? 64 : 128;
  store<u64>(TAIL + tailSize - 8, bswap<u64>(<u64>length << 3));
  compress(TAIL);
  if (tailSize == 128) compress(TAIL + 64);
}

/** Lowercase hex of the state words. */
function stateHex(): string {
  const out = changetype<string>(__new(128, idof<string>()));
  const out16 = changetype<usize>(out);
  const digits = changetype<usize>(HEX);
  for (let i: usize = 0; i < 32; i++) {
    const byte = <usize>load<u8>(STATE + (i & ~3) + (3 - (i & 3)));
    store<u16>(out16 + (i << 2), load<u16>(digits + ((byte >> 4) << 1)));
    store<u16>(out16 + (i << 2) + 2, load<u16>(digits + ((byte & 15) << 1)));
  }
  return out;
}

/** SHA-256 of the bytes (identical to the core's `sha256`; the ES256 verifier hashes the JWS signing input). */
export function sha256Bytes(data: Uint8Array): Uint8Array {
  digestBytes(data.dataStart, <usize>data.length);
  const out = new Uint8Array(32);
  for (let i: usize = 0; i < 8; i++) store<u32>(out.dataStart + (i << 2), bswap<u32>(load<u32>(STATE + (i << 2))));
  return out;
}

/** Hex SHA-256 of the text's UTF-8 bytes (identical to the core's `toHex(sha256(utf8Encode(text)))`). */
export function sha256HexOfText(text: string): string {
  const length = <usize>text.length;
  const units = changetype<usize>(text);
  let ascii = true;
  for (let i: usize = 0; i < length; i++) {
    if (load<u16>(units + (i << 1)) >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (!ascii) {
    // Non-ASCII material is rare (an introspection credential or a forwarded header value): the core's
    // encoder defines how lone surrogates are encoded, so use it.
    const bytes = utf8Encode(text);
    digestBytes(bytes.dataStart, <usize>bytes.length);
    return stateHex();
  }
  const buffer = heap.alloc(length == 0 ? 1 : length);
  for (let i: usize = 0; i < length; i++) store<u8>(buffer + i, <u8>load<u16>(units + (i << 1)));
  digestBytes(buffer, length);
  heap.free(buffer);
  return stateHex();
}
