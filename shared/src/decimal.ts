// Decimal text → nearest double (round half to even), the same on both builds. asc's parseFloat and
// V8's disagree in the last bit for some literals, so the core converts numbers itself: a fast path
// that is exact by construction (≤ 15 significant digits, scale within 10^±22), otherwise an estimate
// corrected by comparing the exact decimal value with the halfway points of the estimate's neighbours
// in big-integer arithmetic (Clinger's AlgorithmR). Only IEEE operations that are exact are used there.

/** Significant digits kept; beyond this a single sticky digit stands for the rest. */
const MAX_DIGITS: i32 = 780;
const TWO52: f64 = 4503599627370496;
const TWO53: f64 = 9007199254740992;
const MIN_EXPONENT: i32 = -1074;

// Exactly representable powers of ten.
const POWERS_OF_TEN: Array<f64> = [
  1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17,
  1e18, 1e19, 1e20, 1e21, 1e22,
];

/** Converts a JSON number literal text[start..end) already checked by the parser's grammar. */
export function decimalToF64(text: string, start: i32, end: i32): f64 {
  let i = start;
  let negative = false;
  if (text.charCodeAt(i) == 0x2d) { negative = true; i++; }
  let digits = "";
  let scale: i32 = 0;
  let seenPoint = false;
  let sticky = false;
  for (; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c == 0x2e) { seenPoint = true; continue; }
    if (c < 0x30 || c > 0x39) break;
    if (digits.length == 0 && c == 0x30) { if (seenPoint) scale--; continue; }
    if (digits.length < MAX_DIGITS) {
      digits += String.fromCharCode(c);
      if (seenPoint) scale--;
    } else {
      if (c != 0x30) sticky = true;
      if (!seenPoint) scale++;
    }
  }
  if (i < end) {
    i++; // 'e' or 'E'
    let expNegative = false;
    const sign = text.charCodeAt(i);
    if (sign == 0x2b || sign == 0x2d) { expNegative = sign == 0x2d; i++; }
    let exponent: i32 = 0;
    for (; i < end; i++) if (exponent < 100000) exponent = exponent * 10 + (text.charCodeAt(i) - 0x30);
    scale += expNegative ? -exponent : exponent;
  }
  if (sticky) { digits += "1"; scale--; }
  const value = digits.length == 0 ? 0 : nearestDouble(digits, scale);
  return negative ? -value : value;
}

function nearestDouble(digits: string, scale: i32): f64 {
  const count = digits.length;
  if (count + scale > 310) return Infinity;
  if (count + scale < -325) return 0;
  let leading: f64 = 0;
  const used = min(count, 17);
  for (let k = 0; k < used; k++) leading = leading * 10 + f64(digits.charCodeAt(k) - 0x30);
  const leadingScale = scale + (count - used);
  if (count <= 15 && leadingScale >= -22 && leadingScale <= 22) {
    return leadingScale >= 0 ? leading * POWERS_OF_TEN[leadingScale] : leading / POWERS_OF_TEN[-leadingScale];
  }
  let estimate = timesPowerOfTen(leading, leadingScale);
  if (estimate == Infinity) estimate = 1.7976931348623157e308;
  if (estimate == 0) estimate = 5e-324;
  const exact = BigNat.fromDigits(digits);
  for (let round = 0; round < 8; round++) {
    const m = mantissaOf(estimate);
    const e = exponentOf(estimate);
    const upper = compareWithHalfway(exact, scale, m, 2, 1, e - 1);
    if (upper > 0 || (upper == 0 && m % 2 == 1)) {
      if (estimate == 1.7976931348623157e308) return Infinity;
      estimate = scaleByPowerOfTwo(m + 1, e);
      continue;
    }
    const boundary = m == TWO52 && e > MIN_EXPONENT;
    const lower = boundary ? compareWithHalfway(exact, scale, m - 1, 4, 3, e - 2) : compareWithHalfway(exact, scale, m - 1, 2, 1, e - 1);
    if (lower < 0 || (lower == 0 && m % 2 == 1)) {
      if (m == 1 && e == MIN_EXPONENT) return 0;
      estimate = boundary ? scaleByPowerOfTwo(TWO53 - 1, e - 1) : scaleByPowerOfTwo(m - 1, e);
      continue;
    }
    return estimate;
  }
  return estimate;
}

/** value = digits·10^scale; `digits` has no leading zeros. */
export class DecimalDigits {
  digits: string = "0";
  scale: i32 = 0;
}

/** The exact decimal expansion of a positive finite double (every double is a finite decimal). */
export function exactDecimal(x: f64): DecimalDigits {
  const e = exponentOf(x);
  const n = BigNat.fromInteger(mantissaOf(x));
  const out = new DecimalDigits();
  if (e > 0) n.multiplyByPowerOfTwo(e);
  if (e < 0) {
    // m·2^e = m·5^-e · 10^e
    for (let i = 0; i < -e; i++) n.multiplySmall(5);
    out.scale = e;
  }
  out.digits = n.toDecimalString();
  return out;
}

/** Rounds to `precision` significant digits, half to even. */
export function roundDigits(value: DecimalDigits, precision: i32): DecimalDigits {
  const digits = value.digits;
  if (digits.length <= precision) return value;
  let kept = digits.substring(0, precision);
  const next = digits.charCodeAt(precision) - 0x30;
  let restNonZero = false;
  for (let i = precision + 1; i < digits.length; i++) if (digits.charCodeAt(i) != 0x30) { restNonZero = true; break; }
  const lastOdd = (kept.charCodeAt(kept.length - 1) - 0x30) % 2 == 1;
  const out = new DecimalDigits();
  out.scale = value.scale + (digits.length - precision);
  if (next > 5 || (next == 5 && (restNonZero || lastOdd))) {
    kept = incrementDigits(kept);
    if (kept.length > precision) { kept = kept.substring(0, precision); out.scale++; }
  }
  out.digits = kept;
  return out;
}

function incrementDigits(digits: string): string {
  let out = "";
  let i = digits.length - 1;
  for (; i >= 0; i--) {
    const c = digits.charCodeAt(i);
    if (c != 0x39) { out = digits.substring(0, i) + String.fromCharCode(c + 1) + out; return out; }
    out = "0" + out;
  }
  return "1" + out;
}

/** sign(digits·10^scale − (base·factor + add)·2^power), all in exact integers (base·factor can pass
 *  2^53, where odd numbers are no longer doubles, so the halfway numerator is built as a BigNat). */
function compareWithHalfway(digits: BigNat, scale: i32, base: f64, factor: f64, add: f64, power: i32): i32 {
  const left = digits.copy();
  const right = BigNat.fromInteger(base);
  right.multiplySmall(factor);
  right.addSmall(add);
  if (scale > 0) left.multiplyByPowerOfTen(scale); else right.multiplyByPowerOfTen(-scale);
  if (power > 0) right.multiplyByPowerOfTwo(power); else left.multiplyByPowerOfTwo(-power);
  return left.compare(right);
}

/** m with x = m·2^e, m an integer in [2^52, 2^53) (smaller only for subnormals, where e = −1074). */
function mantissaOf(x: f64): f64 {
  return scaleByPowerOfTwo(x, -exponentOf(x));
}

function exponentOf(x: f64): i32 {
  let e: i32 = 0;
  let y = x;
  while (y >= TWO53) { y /= 2; e++; }
  while (y < TWO52 && e > MIN_EXPONENT) { y *= 2; e--; }
  return e;
}

/** x·2^power; exact whenever the result is representable (steps by powers of two). */
function scaleByPowerOfTwo(x: f64, power: i32): f64 {
  let y = x;
  let p = power;
  while (p > 0) { y *= 2; p--; }
  while (p < 0) { y /= 2; p++; }
  return y;
}

/** x·10^power by steps of exact powers of ten (an estimate: each step may round). */
function timesPowerOfTen(x: f64, power: i32): f64 {
  let y = x;
  let p = power;
  while (p > 22) { y *= 1e22; p -= 22; }
  while (p < -22) { y /= 1e22; p += 22; }
  return p >= 0 ? y * POWERS_OF_TEN[p] : y / POWERS_OF_TEN[-p];
}

/** Natural numbers as little-endian base-2^24 limbs held in f64 (products stay below 2^53). */
class BigNat {
  limbs: Array<f64> = new Array<f64>();

  static fromDigits(digits: string): BigNat {
    const n = new BigNat();
    for (let i = 0; i < digits.length; i++) {
      n.multiplySmall(10);
      n.addSmall(f64(digits.charCodeAt(i) - 0x30));
    }
    return n;
  }

  static fromInteger(value: f64): BigNat {
    const n = new BigNat();
    let rest = value;
    while (rest > 0) {
      const limb = rest % 16777216;
      n.limbs.push(limb);
      rest = (rest - limb) / 16777216;
    }
    return n;
  }

  copy(): BigNat {
    const n = new BigNat();
    for (let i = 0; i < this.limbs.length; i++) n.limbs.push(this.limbs[i]);
    return n;
  }

  addSmall(value: f64): void {
    let carry = value;
    for (let i = 0; i < this.limbs.length && carry > 0; i++) {
      const sum = this.limbs[i] + carry;
      this.limbs[i] = sum % 16777216;
      carry = Math.floor(sum / 16777216);
    }
    if (carry > 0) this.limbs.push(carry);
  }

  /** factor ≤ 2^24 */
  multiplySmall(factor: f64): void {
    let carry: f64 = 0;
    for (let i = 0; i < this.limbs.length; i++) {
      const product = this.limbs[i] * factor + carry;
      this.limbs[i] = product % 16777216;
      carry = Math.floor(product / 16777216);
    }
    while (carry > 0) {
      this.limbs.push(carry % 16777216);
      carry = Math.floor(carry / 16777216);
    }
  }

  multiplyByPowerOfTen(power: i32): void {
    let p = power;
    while (p >= 7) { this.multiplySmall(10000000); p -= 7; }
    if (p > 0) this.multiplySmall(POWERS_OF_TEN[p]);
  }

  multiplyByPowerOfTwo(power: i32): void {
    let p = power;
    while (p >= 24) { this.limbs.unshift(0); p -= 24; }
    if (p > 0) this.multiplySmall(scaleByPowerOfTwo(1, p));
  }

  /** Divides in place by a small divisor (≤ 2^24) and returns the remainder. */
  divideSmall(divisor: f64): f64 {
    let remainder: f64 = 0;
    for (let i = this.limbs.length - 1; i >= 0; i--) {
      const current = remainder * 16777216 + this.limbs[i];
      const quotient = Math.floor(current / divisor);
      this.limbs[i] = quotient;
      remainder = current - quotient * divisor;
    }
    return remainder;
  }

  toDecimalString(): string {
    const n = this.copy();
    let out = "";
    while (n.trimmedLength() > 0) {
      const chunk = n.divideSmall(10000000);
      let text = formatSmall(chunk);
      if (n.trimmedLength() > 0) while (text.length < 7) text = "0" + text;
      out = text + out;
    }
    return out.length > 0 ? out : "0";
  }

  compare(other: BigNat): i32 {
    const a = this.trimmedLength();
    const b = other.trimmedLength();
    if (a != b) return a > b ? 1 : -1;
    for (let i = a - 1; i >= 0; i--) {
      if (this.limbs[i] != other.limbs[i]) return this.limbs[i] > other.limbs[i] ? 1 : -1;
    }
    return 0;
  }

  private trimmedLength(): i32 {
    let n = this.limbs.length;
    while (n > 0 && this.limbs[n - 1] == 0) n--;
    return n;
  }
}

function formatSmall(n: f64): string {
  if (n < 1) return "0";
  let out = "";
  let rest = n;
  while (rest >= 1) {
    const digit = rest % 10;
    out = String.fromCharCode(0x30 + i32(digit)) + out;
    rest = (rest - digit) / 10;
  }
  return out;
}
