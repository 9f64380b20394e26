// The Envoy plane's 64-bit P-256 arithmetic (envoy-wasm/assembly/filter/p256-u64-field.ts, p256-u64-scalar.ts),
// through build/core/core-u64.wasm, against BigInt on edge values and seeded random ones: the carry chain, the
// folding of the top carry and the final subtraction of p that random signatures seldom reach, and the scalars
// u1 = e·s⁻¹, u2 = r·s⁻¹ mod n (Montgomery products, Fermat inverse).
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "../..");
const P = 2n ** 256n - 2n ** 224n + 2n ** 192n + 2n ** 96n - 1n;
const N = BigInt("0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551");
const SEED = 20261203;

interface U64Build {
  fieldOp(op: number, a: string, b: string, ka: number, kb: number): string;
  scalars(e: string, r: string, s: string): string;
}
let build: U64Build;

beforeAll(async () => {
  execFileSync(process.execPath, [join(root, "scripts/build.mjs"), "core"], { cwd: root, stdio: "pipe" });
  build = await import(join(root, "build/core/core-u64.js"));
}, 180_000);

const hex = (x: bigint): string => x.toString(16).padStart(64, "0");
const mod = (x: bigint, m: bigint): bigint => ((x % m) + m) % m;
const field = (op: number, a: bigint, b: bigint, ka = 0, kb = 0): bigint => BigInt("0x" + build.fieldOp(op, hex(a), hex(b), ka, kb));

const EDGES = [0n, 1n, 2n, 3n, P - 1n, P - 2n, P - 3n, 2n ** 255n, 2n ** 224n, 2n ** 224n - 1n, 2n ** 192n, 2n ** 96n - 1n,
  2n ** 96n, 2n ** 32n - 1n, 2n ** 256n - 2n ** 224n, P - 2n ** 96n, (P - 1n) / 2n, 0xffffffffn, 2n ** 128n + 1n, N, N - 1n];
const fieldElement = fc.bigInt({ min: 0n, max: P - 1n });
const orderElement = fc.bigInt({ min: 1n, max: N - 1n });

describe("64-bit P-256 field arithmetic", () => {
  it("multiplies and squares every edge value mod p", () => {
    for (const a of EDGES) {
      expect(field(1, a, 0n), `${a}²`).toBe(mod(a * a, P));
      for (const b of EDGES) expect(field(0, a, b), `${a} · ${b}`).toBe(mod(a * b, P));
    }
  });

  it("multiplies and squares random elements mod p", () => {
    fc.assert(fc.property(fieldElement, fieldElement, (a, b) => {
      expect(field(0, a, b)).toBe(mod(a * b, P));
      expect(field(1, a, 0n)).toBe(mod(a * a, P));
    }), { seed: SEED, numRuns: 2000 });
  });

  it("forms ka·a + kb·b mod p for the coefficients the point formulas use", () => {
    const coefficients: Array<[number, number]> = [[1, 1], [1, -1], [3, 0], [4, 0], [2, 0], [1, -2], [1, -8]];
    const check = (a: bigint, b: bigint): void => {
      for (const [ka, kb] of coefficients) expect(field(2, a, b, ka, kb), `${ka}·${a} + ${kb}·${b}`).toBe(mod(BigInt(ka) * a + BigInt(kb) * b, P));
    };
    for (const a of EDGES) for (const b of EDGES) check(a, b);
    fc.assert(fc.property(fieldElement, fieldElement, (a, b) => check(a, b)), { seed: SEED, numRuns: 500 });
  });
});

describe("64-bit scalars mod n", () => {
  const check = (e: bigint, r: bigint, s: bigint): void => {
    const out = build.scalars(hex(e), hex(r), hex(s));
    const w = modInverse(s);
    expect(BigInt("0x" + out.slice(0, 64)), `u1 for e=${e} s=${s}`).toBe(mod(e * w, N));
    expect(BigInt("0x" + out.slice(64)), `u2 for r=${r} s=${s}`).toBe(mod(r * w, N));
  };
  it("computes u1 = e·s⁻¹ and u2 = r·s⁻¹ for edge and random scalars", () => {
    const edges = [1n, 2n, 3n, N - 1n, N - 2n, (N - 1n) / 2n, 2n ** 255n, 2n ** 128n, 2n ** 32n - 1n];
    for (const s of edges) for (const r of edges) check(0n, r, s);
    fc.assert(fc.property(fc.bigInt({ min: 0n, max: N - 1n }), orderElement, orderElement, (e, r, s) => check(e, r, s)),
      { seed: SEED, numRuns: 300 });
  });
});

function modInverse(a: bigint): bigint {
  // a^(n-2) mod n by square-and-multiply in BigInt (n is prime).
  let result = 1n, base = mod(a, N), exponent = N - 2n;
  while (exponent > 0n) {
    if (exponent & 1n) result = (result * base) % N;
    base = (base * base) % N;
    exponent >>= 1n;
  }
  return result;
}
