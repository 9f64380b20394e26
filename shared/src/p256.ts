// NIST P-256 (secp256r1, SEC 2 §2.4.2 / FIPS 186-4 D.1.2.3) for signature verification: field arithmetic in
// Montgomery form, points in Jacobian coordinates (X/Z², Y/Z³; Z = 0 is the point at infinity), public-key
// validation. Formulas: "dbl-2001-b" (a = -3) and "add-2007-bl" from the Explicit-Formulas Database.
// Point operations write into preallocated registers, so a verification allocates a handful of arrays, not
// thousands (the wasm plane's allocator would dominate otherwise).
import { fromHex } from "./bytes";
import { Limbs, Montgomery, cloneLimbs, compareLimbs, copyLimbs, isZeroLimbs, limbsFromBytes, newLimbs, reduceOnce, testBit, zeroLimbs } from "./bigint";

const LIMBS: i32 = 16;

function constant(hex: string): Limbs { return limbsFromBytes(fromHex(hex)!, LIMBS)!; }

export class JacobianPoint {
  constructor(public x: Limbs, public y: Limbs, public z: Limbs) {}

  static infinity(): JacobianPoint {
    return new JacobianPoint(newLimbs(LIMBS), newLimbs(LIMBS), newLimbs(LIMBS));
  }

  isInfinity(): bool { return isZeroLimbs(this.z); }

  setTo(other: JacobianPoint): void { copyLimbs(this.x, other.x); copyLimbs(this.y, other.y); copyLimbs(this.z, other.z); }

  setInfinity(): void { zeroLimbs(this.x); zeroLimbs(this.y); zeroLimbs(this.z); }
}

function register(): Limbs { return newLimbs(LIMBS); }

export class P256 {
  readonly p: Limbs;
  readonly n: Limbs;
  readonly field: Montgomery;
  readonly order: Montgomery;
  /** b and the generator, in Montgomery form over p. */
  private readonly b: Limbs;
  readonly g: JacobianPoint;
  // Registers for double/add (one curve object per instance; the filter is single-threaded).
  private r0: Limbs = register(); private r1: Limbs = register(); private r2: Limbs = register();
  private r3: Limbs = register(); private r4: Limbs = register(); private r5: Limbs = register();
  private r6: Limbs = register(); private r7: Limbs = register(); private r8: Limbs = register();

  constructor() {
    const field = new Montgomery(constant("ffffffff00000001000000000000000000000000ffffffffffffffffffffffff"));
    const order = new Montgomery(constant("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551"));
    this.p = field.modulus;
    this.n = order.modulus;
    this.field = field;
    this.order = order;
    this.b = field.toMont(constant("5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604b"));
    this.g = new JacobianPoint(
      field.toMont(constant("6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296")),
      field.toMont(constant("4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5")),
      cloneLimbs(field.one),
    );
  }

  /** A public point from 32-byte big-endian coordinates, or null unless 0 <= x, y < p and y² = x³ - 3x + b.
   *  (The point at infinity has no affine encoding; the cofactor is 1, so on the curve means in the group.) */
  publicPoint(x: Uint8Array, y: Uint8Array): JacobianPoint | null {
    if (x.length != 32 || y.length != 32) return null;
    const xl = limbsFromBytes(x, LIMBS)!;
    const yl = limbsFromBytes(y, LIMBS)!;
    if (compareLimbs(xl, this.p) >= 0 || compareLimbs(yl, this.p) >= 0) return null;
    const f = this.field;
    const point = new JacobianPoint(f.toMont(xl), f.toMont(yl), cloneLimbs(f.one));
    const lhs = register();
    f.mulTo(lhs, point.y, point.y);
    const rhs = register();
    f.mulTo(rhs, point.x, point.x);
    f.mulTo(rhs, rhs, point.x);
    const threeX = register();
    f.addTo(threeX, point.x, point.x);
    f.addTo(threeX, threeX, point.x);
    f.subTo(rhs, rhs, threeX);
    f.addTo(rhs, rhs, this.b);
    return compareLimbs(lhs, rhs) == 0 ? point : null;
  }

  /** out = 2·pt (out may be pt). */
  double(out: JacobianPoint, pt: JacobianPoint): void {
    if (pt.isInfinity() || isZeroLimbs(pt.y)) { out.setInfinity(); return; }
    const f = this.field;
    const delta = this.r0, gamma = this.r1, beta = this.r2, alpha = this.r3, t = this.r4, x3 = this.r5, z3 = this.r6;
    f.mulTo(delta, pt.z, pt.z);
    f.mulTo(gamma, pt.y, pt.y);
    f.mulTo(beta, pt.x, gamma);
    f.subTo(t, pt.x, delta);
    f.addTo(alpha, pt.x, delta);
    f.mulTo(t, t, alpha);
    f.addTo(alpha, t, t);
    f.addTo(alpha, alpha, t); // alpha = 3(x - delta)(x + delta)
    f.addTo(beta, beta, beta);
    f.addTo(beta, beta, beta); // beta = 4·X·gamma
    f.mulTo(x3, alpha, alpha);
    f.subTo(x3, x3, beta);
    f.subTo(x3, x3, beta); // X3 = alpha² - 8·X·gamma
    f.addTo(z3, pt.y, pt.z);
    f.mulTo(z3, z3, z3);
    f.subTo(z3, z3, gamma);
    f.subTo(z3, z3, delta); // Z3 = (Y + Z)² - gamma - delta
    f.subTo(t, beta, x3);
    f.mulTo(t, alpha, t);
    f.mulTo(gamma, gamma, gamma);
    f.addTo(gamma, gamma, gamma);
    f.addTo(gamma, gamma, gamma);
    f.addTo(gamma, gamma, gamma); // 8·gamma²
    f.subTo(out.y, t, gamma); // Y3 = alpha(4·beta - X3) - 8·gamma²
    copyLimbs(out.x, x3);
    copyLimbs(out.z, z3);
  }

  /** out = p1 + p2 (out may be p1 or p2). */
  add(out: JacobianPoint, p1: JacobianPoint, p2: JacobianPoint): void {
    if (p1.isInfinity()) { out.setTo(p2); return; }
    if (p2.isInfinity()) { out.setTo(p1); return; }
    const f = this.field;
    const z1z1 = this.r0, z2z2 = this.r1, u1 = this.r2, u2 = this.r3, s1 = this.r4, s2 = this.r5;
    f.mulTo(z1z1, p1.z, p1.z);
    f.mulTo(z2z2, p2.z, p2.z);
    f.mulTo(u1, p1.x, z2z2);
    f.mulTo(u2, p2.x, z1z1);
    f.mulTo(s1, p1.y, p2.z);
    f.mulTo(s1, s1, z2z2);
    f.mulTo(s2, p2.y, p1.z);
    f.mulTo(s2, s2, z1z1);
    const h = u2, r = s2;
    f.subTo(h, u2, u1);
    f.subTo(r, s2, s1);
    if (isZeroLimbs(h)) {
      if (isZeroLimbs(r)) this.double(out, p1);
      else out.setInfinity();
      return;
    }
    const hh = z1z1, hhh = z2z2, v = this.r6, x3 = this.r7, z3 = this.r8;
    f.mulTo(z3, p1.z, p2.z);
    f.mulTo(z3, z3, h);
    f.mulTo(hh, h, h);
    f.mulTo(hhh, h, hh);
    f.mulTo(v, u1, hh);
    f.mulTo(x3, r, r);
    f.subTo(x3, x3, hhh);
    f.subTo(x3, x3, v);
    f.subTo(x3, x3, v); // X3 = r² - H³ - 2·U1·H²
    f.subTo(v, v, x3);
    f.mulTo(v, r, v);
    f.mulTo(s1, s1, hhh);
    f.subTo(out.y, v, s1); // Y3 = r(U1·H² - X3) - S1·H³
    copyLimbs(out.x, x3);
    copyLimbs(out.z, z3);
  }

  /** a·P + b·Q (Shamir's trick), scalars as plain limbs < 2^256. */
  mulAdd(a: Limbs, pt: JacobianPoint, b: Limbs, q: JacobianPoint): JacobianPoint {
    const both = JacobianPoint.infinity();
    this.add(both, pt, q);
    const acc = JacobianPoint.infinity();
    for (let bit = 255; bit >= 0; bit--) {
      this.double(acc, acc);
      const useA = testBit(a, bit);
      const useB = testBit(b, bit);
      if (useA && useB) this.add(acc, acc, both);
      else if (useA) this.add(acc, acc, pt);
      else if (useB) this.add(acc, acc, q);
    }
    return acc;
  }

  /** Affine x of a finite point, plain. */
  affineX(pt: JacobianPoint): Limbs {
    const f = this.field;
    const zInv = f.invert(pt.z);
    f.mulTo(zInv, zInv, zInv);
    f.mulTo(zInv, pt.x, zInv);
    return f.fromMont(zInv);
  }

  /** x mod n for x < p (p < 2n). */
  modOrder(x: Limbs): Limbs { return reduceOnce(x, this.n); }
}

let curve: P256 | null = null;

/** The curve's constants, built once per instance (module start-up stays free of big-number work). */
export function p256(): P256 {
  if (curve == null) curve = new P256();
  return curve!;
}
