// Unsigned big integers for signature verification (RSA, ECDSA): little-endian arrays of 16-bit limbs held in
// u32, so a limb product stays below 2^32 and a sum of a few thousand of them stays exact in an f64 — the same
// arithmetic on the tsc and asc builds. Verification handles public data only, so nothing here is constant
// time. Modular multiplication is Montgomery's, by product scanning; the inverse is the binary extended Euclid.

const LIMB_BITS: i32 = 16;
const LIMB_MASK: u32 = 0xffff;
const RADIX: f64 = 65536;
const INV_RADIX: f64 = 1.0 / 65536;

/** Limbs live in StaticArray: asc inlines its unchecked accesses, where a typed array's cost a call each under
 *  the incremental runtime's shadow stack (about 9× slower). On Node the shim makes it a zero-filled Array. */
export type Limbs = StaticArray<u32>;

export function newLimbs(count: i32): Limbs {
  const out = new StaticArray<u32>(count);
  for (let i = 0; i < count; i++) out[i] = 0;
  return out;
}

export function cloneLimbs(a: Limbs): Limbs {
  const out = newLimbs(a.length);
  copyLimbs(out, a);
  return out;
}

/** The low `count` limbs of a. */
export function lowLimbs(a: Limbs, count: i32): Limbs {
  const out = newLimbs(count);
  for (let i = 0; i < count && i < a.length; i++) out[i] = a[i];
  return out;
}

/** dst = src (same length). */
export function copyLimbs(dst: Limbs, src: Limbs): void {
  const count = min(dst.length, src.length);
  for (let i = 0; i < count; i++) unchecked(dst[i] = unchecked(src[i]));
}

export function zeroLimbs(a: Limbs): void {
  for (let i = 0; i < a.length; i++) a[i] = 0;
}

/** Big-endian bytes → `limbs` limbs, or null when the value does not fit. Leading zero bytes are allowed. */
export function limbsFromBytes(bytes: Uint8Array, limbs: i32): Limbs | null {
  const out = newLimbs(limbs);
  const length = bytes.length;
  for (let i = 0; i < length; i++) {
    const byte = u32(bytes[length - 1 - i]);
    if (byte == 0) continue;
    const limb = i >> 1;
    if (limb >= limbs) return null;
    out[limb] = u32(out[limb] | ((i & 1) == 0 ? byte : byte << 8));
  }
  return out;
}

/** The value as exactly `length` big-endian bytes (high limbs beyond `length` must be zero). */
export function limbsToBytes(a: Limbs, length: i32): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    const limb = i >> 1;
    if (limb >= a.length) break;
    out[length - 1 - i] = u8((i & 1) == 0 ? a[limb] : a[limb] >>> 8);
  }
  return out;
}

/** -1, 0 or 1 as a <, =, > b; both of the same limb count. */
export function compareLimbs(a: Limbs, b: Limbs): i32 {
  if (b.length < a.length) return 1; // callers pass equal lengths; this keeps the unchecked reads in bounds
  for (let i = a.length - 1; i >= 0; i--) {
    const x = unchecked(a[i]);
    const y = unchecked(b[i]);
    if (x != y) return x < y ? -1 : 1;
  }
  return 0;
}

export function isZeroLimbs(a: Limbs): bool {
  for (let i = 0; i < a.length; i++) if (unchecked(a[i]) != 0) return false;
  return true;
}

/** Number of significant bits. */
export function bitLength(a: Limbs): i32 {
  for (let i = a.length - 1; i >= 0; i--) {
    let limb = a[i];
    if (limb == 0) continue;
    let bits = 0;
    while (limb != 0) { bits++; limb = limb >>> 1; }
    return i * LIMB_BITS + bits;
  }
  return 0;
}

/** a -= b (same limb count); returns the borrow out (0 or 1). */
function subInPlace(a: Limbs, b: Limbs): i32 {
  let borrow: i32 = 0;
  for (let i = 0; i < a.length; i++) {
    const d: i32 = i32(a[i]) - i32(b[i]) - borrow;
    borrow = d < 0 ? 1 : 0;
    a[i] = u32(d & 0xffff);
  }
  return borrow;
}

/** a += b (same limb count); returns the carry out (0 or 1). */
function addInPlace(a: Limbs, b: Limbs): u32 {
  let carry: u32 = 0;
  for (let i = 0; i < a.length; i++) {
    const s: u32 = u32(a[i] + b[i] + carry);
    a[i] = s & LIMB_MASK;
    carry = s >>> 16;
  }
  return carry;
}

/** a mod m for a < 2m (same limb count): at most one subtraction. */
export function reduceOnce(a: Limbs, m: Limbs): Limbs {
  const out = cloneLimbs(a);
  if (compareLimbs(out, m) >= 0) subInPlace(out, m);
  return out;
}

/** out = a - b mod m for a, b < m, all of m's limb count (out may be a or b). */
function subModTo(out: Limbs, a: Limbs, b: Limbs, m: Limbs): void {
  const k = m.length;
  if (a.length < k || b.length < k || out.length < k) return;
  let borrow: i32 = 0;
  for (let i = 0; i < k; i++) {
    const d: i32 = i32(unchecked(a[i])) - i32(unchecked(b[i])) - borrow;
    borrow = d < 0 ? 1 : 0;
    unchecked(out[i] = u32(d & 0xffff));
  }
  if (borrow != 0) addInPlace(out, m);
}

/** a⁻¹ mod m for an odd m and 0 < a < m with gcd(a, m) = 1, by the binary extended Euclidean algorithm (plain
 *  values; far cheaper than Fermat's a^(m-2) at these sizes); zero when a shares a factor with m. */
export function invertModOdd(a: Limbs, m: Limbs): Limbs {
  const u = cloneLimbs(a), v = cloneLimbs(m);
  const x1 = newLimbs(m.length), x2 = newLimbs(m.length);
  x1[0] = 1;
  while (!isOneLimbs(u) && !isOneLimbs(v)) {
    if (isZeroLimbs(u) || isZeroLimbs(v)) return newLimbs(m.length);
    while ((u[0] & 1) == 0) { halveInPlace(u, 0); halveModInPlace(x1, m); }
    while ((v[0] & 1) == 0) { halveInPlace(v, 0); halveModInPlace(x2, m); }
    if (compareLimbs(u, v) >= 0) { subInPlace(u, v); subModTo(x1, x1, x2, m); }
    else { subInPlace(v, u); subModTo(x2, x2, x1, m); }
  }
  return isOneLimbs(u) ? x1 : x2;
}

function isOneLimbs(a: Limbs): bool {
  if (a[0] != 1) return false;
  for (let i = 1; i < a.length; i++) if (a[i] != 0) return false;
  return true;
}

/** a = (a + topBit·2^(16·length)) / 2 for even a + topBit·2^(16·length). */
function halveInPlace(a: Limbs, topBit: u32): void {
  const last = a.length - 1;
  if (last < 0) return;
  for (let i = 0; i < last; i++) unchecked(a[i] = ((unchecked(a[i]) >>> 1) | (unchecked(a[i + 1]) << 15)) & LIMB_MASK);
  unchecked(a[last] = ((unchecked(a[last]) >>> 1) | (topBit << 15)) & LIMB_MASK);
}

/** x = x / 2 mod m for x < m, m odd. */
function halveModInPlace(x: Limbs, m: Limbs): void {
  if ((x[0] & 1) == 0) halveInPlace(x, 0);
  else halveInPlace(x, addInPlace(x, m));
}

/** Arithmetic modulo an odd modulus m > 1 of `limbs` limbs, values in Montgomery form (x·R mod m, R = 2^(16·limbs)). */
export class Montgomery {
  readonly modulus: Limbs;
  readonly limbs: i32;
  /** -m⁻¹ mod 2^16. */
  private m0inv: u32 = 0;
  /** R² mod m: multiplying by it enters Montgomery form. */
  private r2: Limbs = newLimbs(0);
  /** R mod m: one in Montgomery form. */
  one: Limbs = newLimbs(0);
  private plainOne: Limbs = newLimbs(0);
  private scratch: Limbs = newLimbs(0);
  /** The Montgomery quotient digits of the product in progress. */
  private quotients: Limbs = newLimbs(0);

  /** `modulus` must be odd and greater than 1 (callers check: RsaPublicKey.of; the curve constants are). */
  constructor(modulus: Limbs) {
    this.modulus = modulus;
    const k = modulus.length;
    this.limbs = k;
    this.scratch = newLimbs(k + 1);
    this.quotients = newLimbs(k);
    // Newton's iteration for m0⁻¹ mod 2^16: x = m0 is right to 3 bits for odd m0, each step doubles that.
    const m0 = modulus[0];
    let x: u32 = m0;
    for (let i = 0; i < 4; i++) {
      const t: u32 = u32(2 - ((m0 * x) & LIMB_MASK)) & LIMB_MASK;
      x = u32(x * t) & LIMB_MASK;
    }
    this.m0inv = u32(0x10000 - x) & LIMB_MASK;
    // R mod m: start from 2^(bits-1), which is below m, and double up to 2^(16k) — at most 16 doublings. Then
    // 2R mod m (two in Montgomery form) raised to 16·k is the Montgomery form of 2^(16k) = R: R·R mod m = R².
    const bits = bitLength(modulus);
    const r = newLimbs(k);
    r[(bits - 1) >> 4] = u32(1) << u32((bits - 1) & 15);
    for (let i = bits - 1; i < k * LIMB_BITS; i++) this.doubleInPlace(r);
    this.one = cloneLimbs(r);
    const two = cloneLimbs(r);
    this.doubleInPlace(two);
    this.plainOne = newLimbs(k);
    this.plainOne[0] = 1;
    const exponent = new Uint8Array(4);
    const rBits: u32 = u32(k * LIMB_BITS);
    exponent[0] = u8(rBits >>> 24); exponent[1] = u8(rBits >>> 16); exponent[2] = u8(rBits >>> 8); exponent[3] = u8(rBits);
    this.r2 = this.pow(two, exponent);
  }

  /** x = 2x mod m, for x < m. */
  private doubleInPlace(x: Limbs): void {
    let carry: u32 = 0;
    for (let i = 0; i < x.length; i++) {
      const s: u32 = u32((x[i] << 1) | carry);
      x[i] = s & LIMB_MASK;
      carry = s >>> 16;
    }
    if (carry != 0 || compareLimbs(x, this.modulus) >= 0) subInPlace(x, this.modulus);
  }

  /** out = a·b·R⁻¹ mod m, for a, b < m (out may be a or b). With one factor in Montgomery form and one plain,
   *  the result is plain. Product scanning (Koç's FIPS): column by column, each column's limb products summed in
   *  an f64 — exact, since a column holds at most 2k products below 2^32 plus a carry (< 2^42 for k <= 256) — so
   *  the inner loop is one multiply-add per product with no carry handling; one carry split per column. Works
   *  in scratch buffers of the context: no allocation on the hot path (the wasm plane's allocator and collector
   *  would cost more than the arithmetic). */
  mulTo(out: Limbs, a: Limbs, b: Limbs): void {
    const k = this.limbs;
    const m = this.modulus;
    const q = this.quotients;
    // Every array here has at least k limbs (the scratch has k + 1): the accesses are in bounds by construction,
    // so the wasm build skips its bounds checks (`unchecked`), which otherwise cost more than the multiply-adds.
    if (a.length < k || b.length < k || out.length < k) return;
    let acc: f64 = 0;
    for (let i = 0; i < k; i++) {
      for (let j = 0; j < i; j++) {
        acc += f64(unchecked(a[j])) * f64(unchecked(b[i - j])) + f64(unchecked(q[j])) * f64(unchecked(m[i - j]));
      }
      acc = this.clearColumn(i, acc + f64(unchecked(a[i])) * f64(unchecked(b[0])));
    }
    for (let i = k; i < 2 * k - 1; i++) {
      for (let j = i - k + 1; j < k; j++) {
        acc += f64(unchecked(a[j])) * f64(unchecked(b[i - j])) + f64(unchecked(q[j])) * f64(unchecked(m[i - j]));
      }
      acc = this.settleColumn(i, acc);
    }
    this.finishTo(out, acc);
  }

  /** out = a²·R⁻¹ mod m (out may be a): mulTo's product scanning with each cross product once, doubled — about
   *  a quarter less work, and RSA verification is almost all squarings (e = 65537: sixteen of them, one product). */
  sqrTo(out: Limbs, a: Limbs): void {
    const k = this.limbs;
    const m = this.modulus;
    const q = this.quotients;
    if (a.length < k || out.length < k) return; // keeps the unchecked accesses in bounds, as in mulTo
    let acc: f64 = 0;
    for (let i = 0; i < 2 * k - 1; i++) {
      const low = i < k ? 0 : i - k + 1;
      let cross: f64 = 0;
      for (let j = low; j < i - j; j++) cross += f64(unchecked(a[j])) * f64(unchecked(a[i - j]));
      acc += cross + cross;
      if ((i & 1) == 0) { const middle = f64(unchecked(a[i >> 1])); acc += middle * middle; }
      const qEnd = i < k ? i : k;
      for (let j = low; j < qEnd; j++) acc += f64(unchecked(q[j])) * f64(unchecked(m[i - j]));
      acc = i < k ? this.clearColumn(i, acc) : this.settleColumn(i, acc);
    }
    this.finishTo(out, acc);
  }

  /** Column i < k of a product: the quotient digit q_i that clears its low 16 bits (stored for the columns
   *  after), then the column with q_i·m0 added, divided exactly by 2^16 — the carry into column i + 1. */
  private clearColumn(i: i32, acc: f64): f64 {
    const low: u32 = u32(acc - Math.floor(acc * INV_RADIX) * RADIX);
    const qi: u32 = u32(low * this.m0inv) & LIMB_MASK;
    unchecked(this.quotients[i] = qi);
    return (acc + f64(qi) * f64(unchecked(this.modulus[0]))) * INV_RADIX;
  }

  /** Column i >= k of a product: its low 16 bits are result limb i - k; returns the carry into column i + 1. */
  private settleColumn(i: i32, acc: f64): f64 {
    const carry = Math.floor(acc * INV_RADIX);
    unchecked(this.scratch[i - this.limbs] = u32(acc - carry * RADIX));
    return carry;
  }

  /** The last column is the carry: the result is below 2m, so t[k - 1] and t[k] take what is left; then out = t,
   *  less m when t >= m. */
  private finishTo(out: Limbs, acc: f64): void {
    const k = this.limbs;
    const t = this.scratch;
    const m = this.modulus;
    const top = Math.floor(acc * INV_RADIX);
    unchecked(t[k - 1] = u32(acc - top * RADIX));
    unchecked(t[k] = u32(top));
    for (let i = 0; i < k; i++) unchecked(out[i] = unchecked(t[i]));
    if (unchecked(t[k]) != 0 || compareLimbs(out, m) >= 0) subInPlace(out, m);
  }

  /** a·b·R⁻¹ mod m in a new array. */
  mul(a: Limbs, b: Limbs): Limbs {
    const out = newLimbs(this.limbs);
    this.mulTo(out, a, b);
    return out;
  }

  /** Plain x < m → Montgomery form. */
  toMont(x: Limbs): Limbs { return this.mul(x, this.r2); }

  /** Montgomery form → plain. */
  fromMont(x: Limbs): Limbs { return this.mul(x, this.plainOne); }

  /** base^exponent (exponent: big-endian bytes), base and result in Montgomery form. Left-to-right binary. */
  pow(base: Limbs, exponent: Uint8Array): Limbs {
    const acc = cloneLimbs(this.one);
    let started = false; // squaring one is wasted work: start at the exponent's top set bit
    for (let i = 0; i < exponent.length; i++) {
      const byte = u32(exponent[i]);
      for (let bit = 7; bit >= 0; bit--) {
        if (started) this.sqrTo(acc, acc);
        if (((byte >>> u32(bit)) & 1) != 0) {
          if (started) this.mulTo(acc, acc, base);
          else copyLimbs(acc, base);
          started = true;
        }
      }
    }
    return acc;
  }
}
