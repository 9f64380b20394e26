// Arithmetic modulo the P-256 group order n for ES256 verification on the Envoy plane (asc only): the scalars
// u1 = e·s⁻¹ and u2 = r·s⁻¹ mod n. Values are eight little-endian 32-bit words in static memory (no managed
// arrays, so no shadow-stack traffic); products are Montgomery's (CIOS, R = 2^256) on u64, and s⁻¹ is Fermat's
// s^(n−2) with 4-bit windows — 256 squarings and 64 multiplications of straight-line word loops, cheaper here
// than the portable code's binary Euclid on 16-bit limbs. Public data only: nothing here is constant time.

const WORDS: usize = 8;
const SIZE: usize = WORDS * 4;
const M32: u64 = 0xffffffff;

// n, and n − 2 (the Fermat exponent), as big-endian hex.
const N_HEX = "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551";
const N_MINUS_2_HEX = "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc63254f";

const N = memory.data(32, 16);
const EXPONENT = memory.data(32, 16);
/** R² mod n, to bring a plain value into Montgomery form. */
const R2 = memory.data(32, 16);
/** The product accumulator: ten words. */
const T = memory.data(40, 16);
/** s·R, s⁻¹·R, and s^k·R for k < 16 (entry 0 unused) for the windowed exponentiation. */
const S_MONT = memory.data(32, 16);
const W_MONT = memory.data(32, 16);
const POWERS = memory.data(32 * 16, 16);
/** The scalars the curve code reads: u1 and u2 (plain, below n). */
export const U1 = memory.data(32, 16);
export const U2 = memory.data(32, 16);
/** -n⁻¹ mod 2^32. */
let nPrime: u64 = 0;
let ready = false;

function wordsFromHex(out: usize, hex: string): void {
  for (let i: usize = 0; i < WORDS; i++) store<u32>(out + (i << 2), U32.parseInt(hex.substr(56 - 8 * i32(i), 8), 16));
}

/** out = 32 big-endian bytes as words. */
export function wordsFromBytes(out: usize, bytes: Uint8Array): void {
  const at = bytes.dataStart;
  for (let i: usize = 0; i < WORDS; i++) store<u32>(out + (i << 2), bswap<u32>(load<u32>(at + 28 - (i << 2))));
}

/** -1, 0 or 1 as a <, =, > b. */
function compareWords(a: usize, b: usize): i32 {
  for (let i = i32(WORDS) - 1; i >= 0; i--) {
    const x = load<u32>(a + (<usize>i << 2)), y = load<u32>(b + (<usize>i << 2));
    if (x != y) return x < y ? -1 : 1;
  }
  return 0;
}

function isZeroWords(a: usize): bool {
  return (load<u64>(a) | load<u64>(a, 8) | load<u64>(a, 16) | load<u64>(a, 24)) == 0;
}

/** a −= b over eight words; returns the borrow out. */
function subWords(a: usize, b: usize): u64 {
  let borrow: u64 = 0;
  for (let i: usize = 0; i < WORDS; i++) {
    const d: u64 = u64(load<u32>(a + (i << 2))) - u64(load<u32>(b + (i << 2))) - borrow;
    store<u32>(a + (i << 2), u32(d));
    borrow = (d >> 32) & 1;
  }
  return borrow;
}

/** a mod n for a < 2n (at most one subtraction). */
export function reduceOnceModN(a: usize): void {
  if (!ready) setUp();
  if (compareWords(a, N) >= 0) subWords(a, N);
}

/** Whether 0 < a < n (what ECDSA requires of r and s). */
export function isNonZeroBelowOrder(a: usize): bool {
  if (!ready) setUp();
  return !isZeroWords(a) && compareWords(a, N) < 0;
}

/** out = a·b·R⁻¹ mod n (out may be a or b): CIOS Montgomery multiplication on 32-bit words in u64 (each step's
 *  t + a·b + carry stays below 2^64). */
function montMul(out: usize, a: usize, b: usize): void {
  memory.fill(T, 0, 40);
  for (let i: usize = 0; i < WORDS; i++) {
    const bi = u64(load<u32>(b + (i << 2)));
    let carry: u64 = 0;
    for (let j: usize = 0; j < WORDS; j++) {
      const sum = u64(load<u32>(T + (j << 2))) + u64(load<u32>(a + (j << 2))) * bi + carry;
      store<u32>(T + (j << 2), u32(sum));
      carry = sum >> 32;
    }
    let top = u64(load<u32>(T, 32)) + carry;
    store<u32>(T, u32(top), 32);
    store<u32>(T, u32(top >> 32), 36);
    const m = (u64(load<u32>(T)) * nPrime) & M32;
    carry = (u64(load<u32>(T)) + m * u64(load<u32>(N))) >> 32;
    for (let j: usize = 1; j < WORDS; j++) {
      const sum = u64(load<u32>(T + (j << 2))) + m * u64(load<u32>(N + (j << 2))) + carry;
      store<u32>(T + ((j - 1) << 2), u32(sum));
      carry = sum >> 32;
    }
    top = u64(load<u32>(T, 32)) + carry;
    store<u32>(T, u32(top), 28);
    store<u32>(T, load<u32>(T, 36) + u32(top >> 32), 32);
  }
  // t < 2n: subtract n once when t >= n.
  if (load<u32>(T, 32) != 0 || compareWords(T, N) >= 0) subWords(T, N);
  memory.copy(out, T, SIZE);
}

function setUp(): void {
  wordsFromHex(N, N_HEX);
  wordsFromHex(EXPONENT, N_MINUS_2_HEX);
  // -n⁻¹ mod 2^32 by Newton's iteration (each step doubles the correct low bits; n is odd).
  const n0 = load<u32>(N);
  let inv: u32 = n0;
  for (let i = 0; i < 5; i++) inv = inv * (2 - n0 * inv);
  nPrime = u64(0 - inv);
  // R² mod n: R mod n = 2^256 − n (n < 2^256 < 2n), doubled mod n 256 times.
  memory.fill(R2, 0, SIZE);
  subWords(R2, N);
  for (let i = 0; i < 256; i++) {
    let carry: u32 = 0;
    for (let j: usize = 0; j < WORDS; j++) {
      const word = load<u32>(R2 + (j << 2));
      store<u32>(R2 + (j << 2), (word << 1) | carry);
      carry = word >>> 31;
    }
    if (carry != 0 || compareWords(R2, N) >= 0) subWords(R2, N);
  }
  ready = true;
}

/** U1 = e·s⁻¹ and U2 = r·s⁻¹ mod n, for words e (below n), r and s (0 < r, s < n). */
export function ecdsaScalars(e: usize, r: usize, s: usize): void {
  if (!ready) setUp();
  montMul(S_MONT, s, R2);
  // POWERS[k] = s^k·R; then W_MONT = s^(n−2)·R = s⁻¹·R, the exponent read in 4-bit windows from the top.
  memory.copy(POWERS + SIZE, S_MONT, SIZE);
  for (let k: usize = 2; k < 16; k++) montMul(POWERS + k * SIZE, POWERS + (k - 1) * SIZE, S_MONT);
  let started = false;
  for (let window = 63; window >= 0; window--) {
    const digit = usize((load<u32>(EXPONENT + (<usize>(window >> 3) << 2)) >>> u32((window & 7) << 2)) & 15);
    if (started) for (let i = 0; i < 4; i++) montMul(W_MONT, W_MONT, W_MONT);
    if (digit != 0) {
      if (started) montMul(W_MONT, W_MONT, POWERS + digit * SIZE);
      else memory.copy(W_MONT, POWERS + digit * SIZE, SIZE);
      started = true;
    }
  }
  montMul(U1, e, W_MONT); // plain × Montgomery → plain
  montMul(U2, r, W_MONT);
}
