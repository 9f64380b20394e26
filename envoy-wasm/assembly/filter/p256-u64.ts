// ES256 (ECDSA on P-256 with SHA-256 digests, signature r‖s as JWS carries it: RFC 7518 §3.4) for the Envoy
// plane, on the 64-bit field of p256-u64-field.ts. The algorithm is the portable verifier's (shared/src/ecdsa.ts,
// shared/src/p256.ts), only the field arithmetic differs: Jacobian points, "dbl-2001-b" (a = -3) and
// "add-2007-bl" from the Explicit-Formulas Database, u1·G + u2·Q by interleaved fixed windows (4-bit windows of
// u2 over a per-call table of Q, 8-bit windows of u1 over a table of G built once per instance, sharing the 252
// doublings), and x(R) mod n = r checked without an inversion; the scalars mod n come from p256-u64-scalar.ts.
// The public key was validated (on the curve, coordinates below p) when its JWK was parsed. Public data only:
// nothing here is constant time.
import { U1, U2, ecdsaScalars, isNonZeroBelowOrder, reduceOnceModN, wordsFromBytes } from "./p256-u64-scalar";
import { Fe, fe, feCombine, feCompare, feCopy, feEquals, feFromBytes, feFromHex, feIsZero, feMul, feSqr, feZero } from "./p256-u64-field";

class Point {
  x: Fe = fe();
  y: Fe = fe();
  /** Zero for the point at infinity. */
  z: Fe = fe();

  isInfinity(): bool { return feIsZero(this.z); }
  setTo(other: Point): void { feCopy(this.x, other.x); feCopy(this.y, other.y); feCopy(this.z, other.z); }
  setInfinity(): void { feZero(this.x); feZero(this.y); feZero(this.z); }
}

function pointTable(size: i32): StaticArray<Point> {
  const table = new StaticArray<Point>(size);
  for (let i = 0; i < size; i++) table[i] = new Point();
  return table;
}

// r, s and the digest as words, for the scalar code.
const R_WORDS = memory.data(32, 16);
const S_WORDS = memory.data(32, 16);
const E_WORDS = memory.data(32, 16);

/** Bits [4·window, 4·window + 4) of the 256-bit scalar in words at `scalar`. */
function nibble(scalar: usize, window: i32): i32 {
  return i32((load<u32>(scalar + (<usize>(window >> 3) << 2)) >>> u32((window & 7) << 2)) & 15);
}

/** Bits [8·window, 8·window + 8). */
function byteAt(scalar: usize, window: i32): i32 {
  return i32((load<u32>(scalar + (<usize>(window >> 2) << 2)) >>> u32((window & 3) << 3)) & 0xff);
}

export class P256U64 {
  private readonly n: Fe = feFromHex("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551");
  private readonly gTable: StaticArray<Point> = pointTable(256);
  private readonly qTable: StaticArray<Point> = pointTable(16);
  private readonly acc: Point = new Point();
  // Registers for double/add (one curve object per instance; the filter is single-threaded).
  private r0: Fe = fe(); private r1: Fe = fe(); private r2: Fe = fe(); private r3: Fe = fe(); private r4: Fe = fe();
  private r5: Fe = fe(); private r6: Fe = fe(); private r7: Fe = fe(); private r8: Fe = fe();

  constructor() {
    const g = new Point();
    feCopy(g.x, feFromHex("6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296"));
    feCopy(g.y, feFromHex("4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5"));
    g.z[0] = 1;
    this.multiplesInto(this.gTable, g);
  }

  /** True when the 64-byte r‖s signature of the SHA-256 digest `hash` verifies under the public point (x, y),
   *  given as 32-byte big-endian coordinates already validated as a point of the curve. */
  verify(x: Uint8Array, y: Uint8Array, hash: Uint8Array, signature: Uint8Array): bool {
    if (signature.length != 64 || hash.length != 32 || x.length != 32 || y.length != 32) return false;
    const rBytes = signature.subarray(0, 32);
    wordsFromBytes(R_WORDS, rBytes);
    wordsFromBytes(S_WORDS, signature.subarray(32, 64));
    if (!isNonZeroBelowOrder(R_WORDS) || !isNonZeroBelowOrder(S_WORDS)) return false;
    // The digest is as long as the order (256 bits): e = hash mod n, one subtraction at most.
    wordsFromBytes(E_WORDS, hash);
    reduceOnceModN(E_WORDS);
    ecdsaScalars(E_WORDS, R_WORDS, S_WORDS); // n is prime and 0 < s < n: s is invertible
    const q = this.qTable[1];
    feCopy(q.x, feFromBytes(x));
    feCopy(q.y, feFromBytes(y));
    feZero(q.z);
    q.z[0] = 1;
    const point = this.mulAddGenerator(U1, U2, q);
    return !point.isInfinity() && this.affineXModOrderIs(point, feFromBytes(rBytes));
  }

  /** table[i] = i·pt (entry 0 is the point at infinity; pt may be table[1]). */
  private multiplesInto(table: StaticArray<Point>, pt: Point): void {
    if (pt !== table[1]) table[1].setTo(pt);
    table[0].setInfinity();
    for (let i = 2; i < table.length; i++) {
      if ((i & 1) == 0) this.double(table[i], table[i >> 1]);
      else this.add(table[i], table[i - 1], table[1]);
    }
  }

  /** out = 2·pt (out may be pt). */
  private double(out: Point, pt: Point): void {
    if (pt.isInfinity() || feIsZero(pt.y)) { out.setInfinity(); return; }
    const delta = this.r0, gamma = this.r1, beta = this.r2, alpha = this.r3, t = this.r4, x3 = this.r5, z3 = this.r6;
    feSqr(delta, pt.z);
    feSqr(gamma, pt.y);
    feMul(beta, pt.x, gamma);
    feCombine(t, pt.x, 1, delta, -1);
    feCombine(alpha, pt.x, 1, delta, 1);
    feMul(t, t, alpha);
    feCombine(alpha, t, 3, t, 0); // alpha = 3(X - delta)(X + delta)
    feCombine(beta, beta, 4, beta, 0); // beta = 4·X·gamma
    feSqr(x3, alpha);
    feCombine(x3, x3, 1, beta, -2); // X3 = alpha² - 8·X·gamma
    feMul(z3, pt.y, pt.z);
    feCombine(z3, z3, 2, z3, 0); // Z3 = (Y + Z)² - gamma - delta = 2·Y·Z
    feCombine(t, beta, 1, x3, -1);
    feMul(t, alpha, t);
    feSqr(gamma, gamma);
    feCombine(out.y, t, 1, gamma, -8); // Y3 = alpha(4·beta - X3) - 8·gamma²
    feCopy(out.x, x3);
    feCopy(out.z, z3);
  }

  /** out = p1 + p2 (out may be p1 or p2). */
  private add(out: Point, p1: Point, p2: Point): void {
    if (p1.isInfinity()) { out.setTo(p2); return; }
    if (p2.isInfinity()) { out.setTo(p1); return; }
    const z1z1 = this.r0, z2z2 = this.r1, u1 = this.r2, u2 = this.r3, s1 = this.r4, s2 = this.r5;
    feSqr(z1z1, p1.z);
    feSqr(z2z2, p2.z);
    feMul(u1, p1.x, z2z2);
    feMul(u2, p2.x, z1z1);
    feMul(s1, p1.y, p2.z);
    feMul(s1, s1, z2z2);
    feMul(s2, p2.y, p1.z);
    feMul(s2, s2, z1z1);
    const h = u2, r = s2;
    feCombine(h, u2, 1, u1, -1);
    feCombine(r, s2, 1, s1, -1);
    if (feIsZero(h)) {
      if (feIsZero(r)) this.double(out, p1);
      else out.setInfinity();
      return;
    }
    const hh = z1z1, hhh = z2z2, v = this.r6, x3 = this.r7, z3 = this.r8;
    feMul(z3, p1.z, p2.z);
    feMul(z3, z3, h);
    feSqr(hh, h);
    feMul(hhh, h, hh);
    feMul(v, u1, hh);
    feSqr(x3, r);
    feCombine(x3, x3, 1, hhh, -1);
    feCombine(x3, x3, 1, v, -2); // X3 = r² - H³ - 2·U1·H²
    feCombine(v, v, 1, x3, -1);
    feMul(v, r, v);
    feMul(s1, s1, hhh);
    feCombine(out.y, v, 1, s1, -1); // Y3 = r(U1·H² - X3) - S1·H³
    feCopy(out.x, x3);
    feCopy(out.z, z3);
  }

  /** u1·G + u2·Q, scalars as words below 2^256; q must be qTable[1]. */
  private mulAddGenerator(u1: usize, u2: usize, q: Point): Point {
    const qTable = this.qTable;
    this.multiplesInto(qTable, q);
    const acc = this.acc;
    acc.setInfinity();
    for (let window = 63; window >= 0; window--) {
      if (window != 63) for (let i = 0; i < 4; i++) this.double(acc, acc);
      this.add(acc, acc, qTable[nibble(u2, window)]);
      if ((window & 1) == 0) this.add(acc, acc, this.gTable[byteAt(u1, window >> 1)]);
    }
    return acc;
  }

  /** Whether the affine x of a finite point, reduced mod n, equals r (0 < r < n). x = X/Z² needs no inversion:
   *  x mod n = r exactly when X = r·Z² or, if r + n < p, X = (r + n)·Z² (x < p < 2n). */
  private affineXModOrderIs(pt: Point, r: Fe): bool {
    const zz = this.r0, candidate = this.r1, rPlusN = this.r2;
    feSqr(zz, pt.z);
    feMul(candidate, r, zz);
    if (feEquals(candidate, pt.x)) return true;
    feCombine(rPlusN, r, 1, this.n, 1); // (r + n) mod p: below n exactly when r + n >= p wrapped
    if (feCompare(rPlusN, this.n) < 0) return false;
    feMul(candidate, rPlusN, zz);
    return feEquals(candidate, pt.x);
  }
}

let curve: P256U64 | null = null;

/** The curve and its generator table, built once per instance on first use. */
export function p256u64(): P256U64 {
  if (curve == null) curve = new P256U64();
  return curve!;
}
