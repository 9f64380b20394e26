// The P-256 field arithmetic (Solinas reduction over written-out limb products) and the binary inversion modulo
// the group order, against BigInt on edge values and seeded random ones. The signature suites check whole
// verifications; these reach the carries and the final subtraction of p that random signatures seldom do.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { invertModOdd, limbsFromBytes, limbsToBytes, type Limbs } from "../../shared/src/bigint";
import { fieldCombine, fieldMul, fieldSqr } from "../../shared/src/p256";

const P = 2n ** 256n - 2n ** 224n + 2n ** 192n + 2n ** 96n - 1n;
const N = BigInt("0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551");
const SEED = 20261203;

const toLimbs = (x: bigint): Limbs => limbsFromBytes(Buffer.from(x.toString(16).padStart(64, "0"), "hex"), 16)!;
const fromLimbs = (a: Limbs): bigint => BigInt("0x" + Buffer.from(limbsToBytes(a, 32)).toString("hex"));
const mod = (x: bigint, m: bigint): bigint => ((x % m) + m) % m;

const EDGES = [0n, 1n, 2n, 3n, P - 1n, P - 2n, P - 3n, 2n ** 255n, 2n ** 224n, 2n ** 224n - 1n, 2n ** 192n, 2n ** 96n - 1n,
  2n ** 96n, 2n ** 32n - 1n, 2n ** 256n - 2n ** 224n, P - 2n ** 96n, (P - 1n) / 2n, 0xffffn, 2n ** 128n + 1n];
const fieldElement = fc.bigInt({ min: 0n, max: P - 1n });
const orderElement = fc.bigInt({ min: 1n, max: N - 1n });

function product(a: bigint, b: bigint): bigint {
  const out = toLimbs(0n);
  fieldMul(out, toLimbs(a), toLimbs(b));
  return fromLimbs(out);
}

describe("P-256 field arithmetic", () => {
  it("multiplies every pair of edge values mod p", () => {
    for (const a of EDGES) for (const b of EDGES) expect(product(a, b), `${a} · ${b}`).toBe(mod(a * b, P));
  });

  it("multiplies and squares random elements mod p, also in place", () => {
    fc.assert(fc.property(fieldElement, fieldElement, (a, b) => {
      expect(product(a, b)).toBe(mod(a * b, P));
      const x = toLimbs(a);
      fieldSqr(x, x);
      expect(fromLimbs(x)).toBe(mod(a * a, P));
    }), { seed: SEED, numRuns: 2000 });
    for (const a of EDGES) {
      const x = toLimbs(a);
      fieldSqr(x, x);
      expect(fromLimbs(x), `${a}²`).toBe(mod(a * a, P));
    }
  });

  it("forms ka·a + kb·b mod p for the coefficients the point formulas use", () => {
    const coefficients: Array<[number, number]> = [[1, 1], [1, -1], [3, 0], [4, 0], [2, 0], [1, -2], [1, -8]];
    const check = (a: bigint, b: bigint): void => {
      for (const [ka, kb] of coefficients) {
        const out = toLimbs(0n);
        fieldCombine(out, toLimbs(a), ka, toLimbs(b), kb);
        expect(fromLimbs(out), `${ka}·${a} + ${kb}·${b}`).toBe(mod(BigInt(ka) * a + BigInt(kb) * b, P));
      }
    };
    for (const a of EDGES) for (const b of EDGES) check(a, b);
    fc.assert(fc.property(fieldElement, fieldElement, (a, b) => check(a, b)), { seed: SEED, numRuns: 500 });
  });
});

describe("inverse modulo the group order", () => {
  const inverse = (a: bigint): bigint => fromLimbs(invertModOdd(toLimbs(a), toLimbs(N)));
  it("inverts edge and random scalars", () => {
    for (const a of [1n, 2n, 3n, N - 1n, N - 2n, (N - 1n) / 2n, 2n ** 255n, 2n ** 128n]) expect(mod(inverse(a) * a, N), `${a}`).toBe(1n);
    fc.assert(fc.property(orderElement, (a) => { expect(mod(inverse(a) * a, N)).toBe(1n); }), { seed: SEED, numRuns: 300 });
  });

  it("answers zero for a value that shares a factor with the modulus", () => {
    expect(fromLimbs(invertModOdd(toLimbs(6n), toLimbs(15n)))).toBe(0n);
  });
});
