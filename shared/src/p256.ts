// NIST P-256 (secp256r1, SEC 2 §2.4.2 / FIPS 186-4 D.1.2.3) for signature verification: field arithmetic in
// Montgomery form, points in Jacobian coordinates (X/Z², Y/Z³; Z = 0 is the point at infinity), public-key
// validation. Formulas: "dbl-2001-b" (a = -3) and "add-2007-bl" from the Explicit-Formulas Database.
import { fromHex } from "./bytes";
import { Montgomery, compareLimbs, isZeroLimbs, limbsFromBytes, reduceOnce, testBit } from "./bigint";

const LIMBS: i32 = 16;

function constant(hex: string): Uint32Array { return limbsFromBytes(fromHex(hex)!, LIMBS)!; }

export class P256 {
  readonly p: Uint32Array;
  readonly n: Uint32Array;
  readonly field: Montgomery;
  readonly order: Montgomery;
  /** b and the generator, in Montgomery form over p. */
  private readonly b: Uint32Array;
  readonly g: JacobianPoint;

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
      field.one.slice(),
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
    const point = new JacobianPoint(f.toMont(xl), f.toMont(yl), f.one.slice());
    const lhs = f.sqr(point.y);
    const x2 = f.sqr(point.x);
    const threeX = f.add(f.add(point.x, point.x), point.x);
    const rhs = f.add(f.sub(f.mul(x2, point.x), threeX), this.b);
    return compareLimbs(lhs, rhs) == 0 ? point : null;
  }

  double(pt: JacobianPoint): JacobianPoint {
    if (pt.isInfinity() || isZeroLimbs(pt.y)) return JacobianPoint.infinity();
    const f = this.field;
    const delta = f.sqr(pt.z);
    const gamma = f.sqr(pt.y);
    const beta = f.mul(pt.x, gamma);
    const t = f.mul(f.sub(pt.x, delta), f.add(pt.x, delta));
    const alpha = f.add(f.add(t, t), t);
    const beta2 = f.add(beta, beta);
    const beta4 = f.add(beta2, beta2);
    const beta8 = f.add(beta4, beta4);
    const x3 = f.sub(f.sqr(alpha), beta8);
    const yz = f.add(pt.y, pt.z);
    const z3 = f.sub(f.sub(f.sqr(yz), gamma), delta);
    const gamma2 = f.sqr(gamma);
    const g2 = f.add(gamma2, gamma2);
    const g4 = f.add(g2, g2);
    const g8 = f.add(g4, g4);
    const y3 = f.sub(f.mul(alpha, f.sub(beta4, x3)), g8);
    return new JacobianPoint(x3, y3, z3);
  }

  add(p1: JacobianPoint, p2: JacobianPoint): JacobianPoint {
    if (p1.isInfinity()) return p2;
    if (p2.isInfinity()) return p1;
    const f = this.field;
    const z1z1 = f.sqr(p1.z);
    const z2z2 = f.sqr(p2.z);
    const u1 = f.mul(p1.x, z2z2);
    const u2 = f.mul(p2.x, z1z1);
    const s1 = f.mul(f.mul(p1.y, p2.z), z2z2);
    const s2 = f.mul(f.mul(p2.y, p1.z), z1z1);
    const h = f.sub(u2, u1);
    const r = f.sub(s2, s1);
    if (isZeroLimbs(h)) return isZeroLimbs(r) ? this.double(p1) : JacobianPoint.infinity();
    const hh = f.sqr(h);
    const hhh = f.mul(h, hh);
    const v = f.mul(u1, hh);
    const x3 = f.sub(f.sub(f.sqr(r), hhh), f.add(v, v));
    const y3 = f.sub(f.mul(r, f.sub(v, x3)), f.mul(s1, hhh));
    const z3 = f.mul(f.mul(p1.z, p2.z), h);
    return new JacobianPoint(x3, y3, z3);
  }

  /** a·P + b·Q (Shamir's trick), scalars as plain limbs < 2^256. */
  mulAdd(a: Uint32Array, pt: JacobianPoint, b: Uint32Array, q: JacobianPoint): JacobianPoint {
    const both = this.add(pt, q);
    let acc = JacobianPoint.infinity();
    for (let bit = 255; bit >= 0; bit--) {
      acc = this.double(acc);
      const useA = testBit(a, bit);
      const useB = testBit(b, bit);
      if (useA && useB) acc = this.add(acc, both);
      else if (useA) acc = this.add(acc, pt);
      else if (useB) acc = this.add(acc, q);
    }
    return acc;
  }

  /** Affine x of a finite point, plain, as 32 big-endian bytes. */
  affineX(pt: JacobianPoint): Uint32Array {
    const f = this.field;
    const zInv = f.invert(pt.z);
    return f.fromMont(f.mul(pt.x, f.sqr(zInv)));
  }

  /** x mod n for x < p (p < 2n). */
  modOrder(x: Uint32Array): Uint32Array { return reduceOnce(x, this.n); }
}

export class JacobianPoint {
  constructor(public x: Uint32Array, public y: Uint32Array, public z: Uint32Array) {}

  static infinity(): JacobianPoint {
    return new JacobianPoint(new Uint32Array(LIMBS), new Uint32Array(LIMBS), new Uint32Array(LIMBS));
  }

  isInfinity(): bool { return isZeroLimbs(this.z); }
}

let curve: P256 | null = null;

/** The curve's constants, built once per instance (module start-up stays free of big-number work). */
export function p256(): P256 {
  if (curve == null) curve = new P256();
  return curve!;
}
