// RSA signature verification with SHA-256 (RFC 8017): RSASSA-PKCS1-v1_5 (§8.2.2, RS256) compares the whole
// encoded message, DigestInfo included, byte for byte — no parsing, so no lenient parsing; RSASSA-PSS (§8.1.2,
// PS256: MGF1-SHA-256, 32-byte salt as RFC 7518 §3.5 fixes it).
import { Limbs, Montgomery, bitLength, compareLimbs, limbsFromBytes, limbsToBytes, lowLimbs } from "./bigint";
import { concatBytes } from "./bytes";
import { sha256 } from "./digest";

export const RSA_MIN_BITS: i32 = 2048;
export const RSA_MAX_BITS: i32 = 4096;

/** DER of DigestInfo { AlgorithmIdentifier { id-sha256, NULL }, OCTET STRING (32 bytes) } without the digest. */
const SHA256_DIGEST_INFO: Array<u8> = [
  0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20,
];

/** A public key ready for verification: the modulus context is built once per key. */
export class RsaPublicKey {
  /** Modulus length in bytes (k of RFC 8017) and bits. */
  readonly size: i32;
  readonly bits: i32;
  private readonly exponent: Uint8Array;
  private readonly mont: Montgomery;

  private constructor(modulus: Limbs, bits: i32, exponent: Uint8Array) {
    this.bits = bits;
    this.size = (bits + 7) >> 3;
    this.exponent = exponent;
    this.mont = new Montgomery(modulus);
  }

  /** From big-endian n and e (leading zero bytes allowed), or null unless n is odd with RSA_MIN_BITS..RSA_MAX_BITS
   *  bits and e is odd, 3 <= e < n. */
  static of(n: Uint8Array, e: Uint8Array): RsaPublicKey | null {
    if (n.length == 0 || n.length > (RSA_MAX_BITS >> 3) + 1) return null;
    const limbs = (n.length + 1) >> 1;
    const modulus = limbsFromBytes(n, limbs)!;
    const bits = bitLength(modulus);
    if (bits < RSA_MIN_BITS || bits > RSA_MAX_BITS || (modulus[0] & 1) == 0) return null;
    const trimmed = lowLimbs(modulus, (bits + 15) >> 4);
    const exponent = limbsFromBytes(e, trimmed.length);
    if (exponent == null || (exponent[0] & 1) == 0 || bitLength(exponent) < 2 || compareLimbs(exponent, trimmed) >= 0) return null;
    return new RsaPublicKey(trimmed, bits, stripLeadingZeros(e));
  }

  /** RSAVP1: s^e mod n as k bytes, or null when the signature is not k bytes or not below n. */
  open(signature: Uint8Array): Uint8Array | null {
    if (signature.length != this.size) return null;
    const s = limbsFromBytes(signature, this.mont.limbs);
    if (s == null || compareLimbs(s, this.mont.modulus) >= 0) return null;
    const m = this.mont.fromMont(this.mont.pow(this.mont.toMont(s), this.exponent));
    return limbsToBytes(m, this.size);
  }
}

function stripLeadingZeros(bytes: Uint8Array): Uint8Array {
  let start = 0;
  while (start < bytes.length && bytes[start] == 0) start++;
  return bytes.slice(start);
}

/** RSASSA-PKCS1-v1_5 with SHA-256: EM = 00 01 FF…FF 00 DigestInfo H, compared whole. */
export function verifyRsaPkcs1Sha256(key: RsaPublicKey, hash: Uint8Array, signature: Uint8Array): bool {
  if (hash.length != 32) return false;
  const em = key.open(signature);
  if (em == null) return false;
  const k = key.size;
  const tLen = SHA256_DIGEST_INFO.length + 32;
  if (k < tLen + 11) return false;
  let ok = em[0] == 0 && em[1] == 1;
  const psEnd = k - tLen - 1;
  for (let i = 2; i < psEnd; i++) ok = ok && em[i] == 0xff;
  ok = ok && em[psEnd] == 0;
  for (let i = 0; i < SHA256_DIGEST_INFO.length; i++) ok = ok && em[psEnd + 1 + i] == SHA256_DIGEST_INFO[i];
  const hashAt = k - 32;
  for (let i = 0; i < 32; i++) ok = ok && em[hashAt + i] == hash[i];
  return ok;
}

/** MGF1 with SHA-256 (RFC 8017 B.2.1). */
function mgf1Sha256(seed: Uint8Array, length: i32): Uint8Array {
  const out = new Uint8Array(length);
  const block = new Uint8Array(seed.length + 4);
  block.set(seed, 0);
  let at = 0;
  for (let counter: u32 = 0; at < length; counter++) {
    block[seed.length] = u8(counter >>> 24); block[seed.length + 1] = u8(counter >>> 16);
    block[seed.length + 2] = u8(counter >>> 8); block[seed.length + 3] = u8(counter);
    const digest = sha256(block);
    for (let i = 0; i < 32 && at < length; i++) out[at++] = digest[i];
  }
  return out;
}

export const PSS_SALT_LENGTH: i32 = 32;

/** RSASSA-PSS with SHA-256, MGF1-SHA-256 and a 32-byte salt (EMSA-PSS-VERIFY, emBits = modBits - 1). */
export function verifyRsaPssSha256(key: RsaPublicKey, hash: Uint8Array, signature: Uint8Array): bool {
  if (hash.length != 32) return false;
  const opened = key.open(signature);
  if (opened == null) return false;
  const emBits = key.bits - 1;
  const emLen = (emBits + 7) >> 3;
  // EM is the low emLen bytes of the k-byte integer; any byte above them must be zero.
  const skip = key.size - emLen;
  for (let i = 0; i < skip; i++) if (opened[i] != 0) return false;
  const em = opened.subarray(skip);
  const hLen = 32;
  const sLen = PSS_SALT_LENGTH;
  if (emLen < hLen + sLen + 2 || em[emLen - 1] != 0xbc) return false;
  const dbLen = emLen - hLen - 1;
  const topMask: u32 = u32(0xff >>> u32(8 * emLen - emBits));
  if ((u32(em[0]) & ~topMask & 0xff) != 0) return false;
  const h = em.subarray(dbLen, dbLen + hLen);
  const db = mgf1Sha256(h, dbLen);
  for (let i = 0; i < dbLen; i++) db[i] = u8(db[i] ^ em[i]);
  db[0] = u8(u32(db[0]) & topMask);
  const separator = dbLen - sLen - 1;
  for (let i = 0; i < separator; i++) if (db[i] != 0) return false;
  if (db[separator] != 1) return false;
  const mPrime = concatBytes(concatBytes(new Uint8Array(8), hash), db.subarray(dbLen - sLen));
  const expected = sha256(mPrime);
  for (let i = 0; i < hLen; i++) if (expected[i] != h[i]) return false;
  return true;
}
