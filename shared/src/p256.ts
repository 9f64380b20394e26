// NIST P-256 (secp256r1, SEC 2 §2.4.2 / FIPS 186-4 D.1.2.3) for signature verification: field elements as plain
// 16-bit limbs reduced by the prime's Solinas form (p = 2^256 − 2^224 + 2^192 + 2^96 − 1), points in Jacobian
// coordinates (X/Z², Y/Z³; Z = 0 is the point at infinity), public-key validation, and u1·G + u2·Q by
// interleaved fixed windows: 4-bit windows of u2 over a per-call table of Q, 8-bit windows of u1 over a table of
// G built once per instance, sharing the 252 doublings. Formulas: "dbl-2001-b" (a = -3; Z3 as 2·Y·Z) and
// "add-2007-bl" from the Explicit-Formulas Database. Point operations write into preallocated registers, so a verification
// allocates a handful of arrays, not thousands (the wasm plane's allocator would dominate otherwise).
// Verification handles public data only: nothing here is constant time.
import { fromHex } from "./bytes";
import { Limbs, Montgomery, compareLimbs, copyLimbs, isZeroLimbs, limbsFromBytes, newLimbs, zeroLimbs } from "./bigint";

const LIMBS: i32 = 16;
const R16: f64 = 65536;
const R32: f64 = 4294967296;
const INV32: f64 = 1.0 / 4294967296;
const WORD_MAX: f64 = 4294967295;

function constant(hex: string): Limbs { return limbsFromBytes(fromHex(hex)!, LIMBS)!; }

const P: Limbs = constant("ffffffff00000001000000000000000000000000ffffffffffffffffffffffff");

/** out = a·b mod p (out may be a or b). The 256 limb products are written out: each column x_i sums at most 16
 *  products below 2^32 in an f64 (exact), and nothing indexes an array in between — the wasm build spills the
 *  array reference to its shadow stack on every indexed access, which cost more than the arithmetic in a loop.
 *  Column pairs make 32-bit-aligned words x_2k + x_2k+1·2^16 (< 2^52, exact); one round of independent carries
 *  (no serial chain) brings them below 2^32 + 2^20 — the top one below 2^37 — for the Solinas reduction. */
export function fieldMul(out: Limbs, a: Limbs, b: Limbs): void {
  if (a.length < 16 || b.length < 16 || out.length < 16) return; // keeps the unchecked accesses in bounds
  const a0: f64 = f64(unchecked(a[0])), a1: f64 = f64(unchecked(a[1]));
  const a2: f64 = f64(unchecked(a[2])), a3: f64 = f64(unchecked(a[3]));
  const a4: f64 = f64(unchecked(a[4])), a5: f64 = f64(unchecked(a[5]));
  const a6: f64 = f64(unchecked(a[6])), a7: f64 = f64(unchecked(a[7]));
  const a8: f64 = f64(unchecked(a[8])), a9: f64 = f64(unchecked(a[9]));
  const a10: f64 = f64(unchecked(a[10])), a11: f64 = f64(unchecked(a[11]));
  const a12: f64 = f64(unchecked(a[12])), a13: f64 = f64(unchecked(a[13]));
  const a14: f64 = f64(unchecked(a[14])), a15: f64 = f64(unchecked(a[15]));
  const b0: f64 = f64(unchecked(b[0])), b1: f64 = f64(unchecked(b[1]));
  const b2: f64 = f64(unchecked(b[2])), b3: f64 = f64(unchecked(b[3]));
  const b4: f64 = f64(unchecked(b[4])), b5: f64 = f64(unchecked(b[5]));
  const b6: f64 = f64(unchecked(b[6])), b7: f64 = f64(unchecked(b[7]));
  const b8: f64 = f64(unchecked(b[8])), b9: f64 = f64(unchecked(b[9]));
  const b10: f64 = f64(unchecked(b[10])), b11: f64 = f64(unchecked(b[11]));
  const b12: f64 = f64(unchecked(b[12])), b13: f64 = f64(unchecked(b[13]));
  const b14: f64 = f64(unchecked(b[14])), b15: f64 = f64(unchecked(b[15]));
  const x0: f64 = a0 * b0;
  const x1: f64 = a0 * b1 + a1 * b0;
  const x2: f64 = a0 * b2 + a1 * b1 + a2 * b0;
  const x3: f64 = a0 * b3 + a1 * b2 + a2 * b1 + a3 * b0;
  const x4: f64 = a0 * b4 + a1 * b3 + a2 * b2 + a3 * b1 + a4 * b0;
  const x5: f64 = a0 * b5 + a1 * b4 + a2 * b3 + a3 * b2 + a4 * b1 + a5 * b0;
  const x6: f64 = a0 * b6 + a1 * b5 + a2 * b4 + a3 * b3 + a4 * b2 + a5 * b1 + a6 * b0;
  const x7: f64 = a0 * b7 + a1 * b6 + a2 * b5 + a3 * b4 + a4 * b3 + a5 * b2 + a6 * b1 + a7 * b0;
  const x8: f64 = a0 * b8 + a1 * b7 + a2 * b6 + a3 * b5 + a4 * b4 + a5 * b3 + a6 * b2 + a7 * b1 + a8 * b0;
  const x9: f64 = a0 * b9 + a1 * b8 + a2 * b7 + a3 * b6 + a4 * b5 + a5 * b4 + a6 * b3 + a7 * b2 + a8 * b1 + a9 * b0;
  const x10: f64 = a0 * b10 + a1 * b9 + a2 * b8 + a3 * b7 + a4 * b6 + a5 * b5 + a6 * b4 + a7 * b3 + a8 * b2 + a9 * b1 + a10 * b0;
  const x11: f64 = a0 * b11 + a1 * b10 + a2 * b9 + a3 * b8 + a4 * b7 + a5 * b6 + a6 * b5 + a7 * b4 + a8 * b3 + a9 * b2 + a10 * b1 + a11 * b0;
  const x12: f64 = a0 * b12 + a1 * b11 + a2 * b10 + a3 * b9 + a4 * b8 + a5 * b7 + a6 * b6 + a7 * b5 + a8 * b4 + a9 * b3 + a10 * b2 + a11 * b1 + a12 * b0;
  const x13: f64 = a0 * b13 + a1 * b12 + a2 * b11 + a3 * b10 + a4 * b9 + a5 * b8 + a6 * b7 + a7 * b6 + a8 * b5 + a9 * b4 + a10 * b3 + a11 * b2 + a12 * b1 + a13 * b0;
  const x14: f64 = a0 * b14 + a1 * b13 + a2 * b12 + a3 * b11 + a4 * b10 + a5 * b9 + a6 * b8 + a7 * b7 + a8 * b6 + a9 * b5 + a10 * b4 + a11 * b3 + a12 * b2 + a13 * b1 + a14 * b0;
  const x15: f64 = a0 * b15 + a1 * b14 + a2 * b13 + a3 * b12 + a4 * b11 + a5 * b10 + a6 * b9 + a7 * b8 + a8 * b7 + a9 * b6 + a10 * b5 + a11 * b4 + a12 * b3 + a13 * b2 + a14 * b1 + a15 * b0;
  const x16: f64 = a1 * b15 + a2 * b14 + a3 * b13 + a4 * b12 + a5 * b11 + a6 * b10 + a7 * b9 + a8 * b8 + a9 * b7 + a10 * b6 + a11 * b5 + a12 * b4 + a13 * b3 + a14 * b2 + a15 * b1;
  const x17: f64 = a2 * b15 + a3 * b14 + a4 * b13 + a5 * b12 + a6 * b11 + a7 * b10 + a8 * b9 + a9 * b8 + a10 * b7 + a11 * b6 + a12 * b5 + a13 * b4 + a14 * b3 + a15 * b2;
  const x18: f64 = a3 * b15 + a4 * b14 + a5 * b13 + a6 * b12 + a7 * b11 + a8 * b10 + a9 * b9 + a10 * b8 + a11 * b7 + a12 * b6 + a13 * b5 + a14 * b4 + a15 * b3;
  const x19: f64 = a4 * b15 + a5 * b14 + a6 * b13 + a7 * b12 + a8 * b11 + a9 * b10 + a10 * b9 + a11 * b8 + a12 * b7 + a13 * b6 + a14 * b5 + a15 * b4;
  const x20: f64 = a5 * b15 + a6 * b14 + a7 * b13 + a8 * b12 + a9 * b11 + a10 * b10 + a11 * b9 + a12 * b8 + a13 * b7 + a14 * b6 + a15 * b5;
  const x21: f64 = a6 * b15 + a7 * b14 + a8 * b13 + a9 * b12 + a10 * b11 + a11 * b10 + a12 * b9 + a13 * b8 + a14 * b7 + a15 * b6;
  const x22: f64 = a7 * b15 + a8 * b14 + a9 * b13 + a10 * b12 + a11 * b11 + a12 * b10 + a13 * b9 + a14 * b8 + a15 * b7;
  const x23: f64 = a8 * b15 + a9 * b14 + a10 * b13 + a11 * b12 + a12 * b11 + a13 * b10 + a14 * b9 + a15 * b8;
  const x24: f64 = a9 * b15 + a10 * b14 + a11 * b13 + a12 * b12 + a13 * b11 + a14 * b10 + a15 * b9;
  const x25: f64 = a10 * b15 + a11 * b14 + a12 * b13 + a13 * b12 + a14 * b11 + a15 * b10;
  const x26: f64 = a11 * b15 + a12 * b14 + a13 * b13 + a14 * b12 + a15 * b11;
  const x27: f64 = a12 * b15 + a13 * b14 + a14 * b13 + a15 * b12;
  const x28: f64 = a13 * b15 + a14 * b14 + a15 * b13;
  const x29: f64 = a14 * b15 + a15 * b14;
  const x30: f64 = a15 * b15;
  const w0: f64 = x0 + x1 * R16, h0: f64 = Math.floor(w0 * INV32);
  const w1: f64 = x2 + x3 * R16, h1: f64 = Math.floor(w1 * INV32);
  const w2: f64 = x4 + x5 * R16, h2: f64 = Math.floor(w2 * INV32);
  const w3: f64 = x6 + x7 * R16, h3: f64 = Math.floor(w3 * INV32);
  const w4: f64 = x8 + x9 * R16, h4: f64 = Math.floor(w4 * INV32);
  const w5: f64 = x10 + x11 * R16, h5: f64 = Math.floor(w5 * INV32);
  const w6: f64 = x12 + x13 * R16, h6: f64 = Math.floor(w6 * INV32);
  const w7: f64 = x14 + x15 * R16, h7: f64 = Math.floor(w7 * INV32);
  const w8: f64 = x16 + x17 * R16, h8: f64 = Math.floor(w8 * INV32);
  const w9: f64 = x18 + x19 * R16, h9: f64 = Math.floor(w9 * INV32);
  const w10: f64 = x20 + x21 * R16, h10: f64 = Math.floor(w10 * INV32);
  const w11: f64 = x22 + x23 * R16, h11: f64 = Math.floor(w11 * INV32);
  const w12: f64 = x24 + x25 * R16, h12: f64 = Math.floor(w12 * INV32);
  const w13: f64 = x26 + x27 * R16, h13: f64 = Math.floor(w13 * INV32);
  const w14: f64 = x28 + x29 * R16, h14: f64 = Math.floor(w14 * INV32);
  const c0: f64 = w0 - h0 * R32;
  const c1: f64 = w1 - h1 * R32 + h0;
  const c2: f64 = w2 - h2 * R32 + h1;
  const c3: f64 = w3 - h3 * R32 + h2;
  const c4: f64 = w4 - h4 * R32 + h3;
  const c5: f64 = w5 - h5 * R32 + h4;
  const c6: f64 = w6 - h6 * R32 + h5;
  const c7: f64 = w7 - h7 * R32 + h6;
  const c8: f64 = w8 - h8 * R32 + h7;
  const c9: f64 = w9 - h9 * R32 + h8;
  const c10: f64 = w10 - h10 * R32 + h9;
  const c11: f64 = w11 - h11 * R32 + h10;
  const c12: f64 = w12 - h12 * R32 + h11;
  const c13: f64 = w13 - h13 * R32 + h12;
  const c14: f64 = w14 - h14 * R32 + h13;
  const c15: f64 = x30 + h14;
  solinasTo(out, c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14, c15);
}

/** out = a² mod p: the cross products once, doubled. */
export function fieldSqr(out: Limbs, a: Limbs): void {
  if (a.length < 16 || out.length < 16) return;
  const a0: f64 = f64(unchecked(a[0])), a1: f64 = f64(unchecked(a[1]));
  const a2: f64 = f64(unchecked(a[2])), a3: f64 = f64(unchecked(a[3]));
  const a4: f64 = f64(unchecked(a[4])), a5: f64 = f64(unchecked(a[5]));
  const a6: f64 = f64(unchecked(a[6])), a7: f64 = f64(unchecked(a[7]));
  const a8: f64 = f64(unchecked(a[8])), a9: f64 = f64(unchecked(a[9]));
  const a10: f64 = f64(unchecked(a[10])), a11: f64 = f64(unchecked(a[11]));
  const a12: f64 = f64(unchecked(a[12])), a13: f64 = f64(unchecked(a[13]));
  const a14: f64 = f64(unchecked(a[14])), a15: f64 = f64(unchecked(a[15]));
  const x0: f64 = a0 * a0;
  const x1: f64 = 2 * (a0 * a1);
  const x2: f64 = 2 * (a0 * a2) + a1 * a1;
  const x3: f64 = 2 * (a0 * a3 + a1 * a2);
  const x4: f64 = 2 * (a0 * a4 + a1 * a3) + a2 * a2;
  const x5: f64 = 2 * (a0 * a5 + a1 * a4 + a2 * a3);
  const x6: f64 = 2 * (a0 * a6 + a1 * a5 + a2 * a4) + a3 * a3;
  const x7: f64 = 2 * (a0 * a7 + a1 * a6 + a2 * a5 + a3 * a4);
  const x8: f64 = 2 * (a0 * a8 + a1 * a7 + a2 * a6 + a3 * a5) + a4 * a4;
  const x9: f64 = 2 * (a0 * a9 + a1 * a8 + a2 * a7 + a3 * a6 + a4 * a5);
  const x10: f64 = 2 * (a0 * a10 + a1 * a9 + a2 * a8 + a3 * a7 + a4 * a6) + a5 * a5;
  const x11: f64 = 2 * (a0 * a11 + a1 * a10 + a2 * a9 + a3 * a8 + a4 * a7 + a5 * a6);
  const x12: f64 = 2 * (a0 * a12 + a1 * a11 + a2 * a10 + a3 * a9 + a4 * a8 + a5 * a7) + a6 * a6;
  const x13: f64 = 2 * (a0 * a13 + a1 * a12 + a2 * a11 + a3 * a10 + a4 * a9 + a5 * a8 + a6 * a7);
  const x14: f64 = 2 * (a0 * a14 + a1 * a13 + a2 * a12 + a3 * a11 + a4 * a10 + a5 * a9 + a6 * a8) + a7 * a7;
  const x15: f64 = 2 * (a0 * a15 + a1 * a14 + a2 * a13 + a3 * a12 + a4 * a11 + a5 * a10 + a6 * a9 + a7 * a8);
  const x16: f64 = 2 * (a1 * a15 + a2 * a14 + a3 * a13 + a4 * a12 + a5 * a11 + a6 * a10 + a7 * a9) + a8 * a8;
  const x17: f64 = 2 * (a2 * a15 + a3 * a14 + a4 * a13 + a5 * a12 + a6 * a11 + a7 * a10 + a8 * a9);
  const x18: f64 = 2 * (a3 * a15 + a4 * a14 + a5 * a13 + a6 * a12 + a7 * a11 + a8 * a10) + a9 * a9;
  const x19: f64 = 2 * (a4 * a15 + a5 * a14 + a6 * a13 + a7 * a12 + a8 * a11 + a9 * a10);
  const x20: f64 = 2 * (a5 * a15 + a6 * a14 + a7 * a13 + a8 * a12 + a9 * a11) + a10 * a10;
  const x21: f64 = 2 * (a6 * a15 + a7 * a14 + a8 * a13 + a9 * a12 + a10 * a11);
  const x22: f64 = 2 * (a7 * a15 + a8 * a14 + a9 * a13 + a10 * a12) + a11 * a11;
  const x23: f64 = 2 * (a8 * a15 + a9 * a14 + a10 * a13 + a11 * a12);
  const x24: f64 = 2 * (a9 * a15 + a10 * a14 + a11 * a13) + a12 * a12;
  const x25: f64 = 2 * (a10 * a15 + a11 * a14 + a12 * a13);
  const x26: f64 = 2 * (a11 * a15 + a12 * a14) + a13 * a13;
  const x27: f64 = 2 * (a12 * a15 + a13 * a14);
  const x28: f64 = 2 * (a13 * a15) + a14 * a14;
  const x29: f64 = 2 * (a14 * a15);
  const x30: f64 = a15 * a15;
  const w0: f64 = x0 + x1 * R16, h0: f64 = Math.floor(w0 * INV32);
  const w1: f64 = x2 + x3 * R16, h1: f64 = Math.floor(w1 * INV32);
  const w2: f64 = x4 + x5 * R16, h2: f64 = Math.floor(w2 * INV32);
  const w3: f64 = x6 + x7 * R16, h3: f64 = Math.floor(w3 * INV32);
  const w4: f64 = x8 + x9 * R16, h4: f64 = Math.floor(w4 * INV32);
  const w5: f64 = x10 + x11 * R16, h5: f64 = Math.floor(w5 * INV32);
  const w6: f64 = x12 + x13 * R16, h6: f64 = Math.floor(w6 * INV32);
  const w7: f64 = x14 + x15 * R16, h7: f64 = Math.floor(w7 * INV32);
  const w8: f64 = x16 + x17 * R16, h8: f64 = Math.floor(w8 * INV32);
  const w9: f64 = x18 + x19 * R16, h9: f64 = Math.floor(w9 * INV32);
  const w10: f64 = x20 + x21 * R16, h10: f64 = Math.floor(w10 * INV32);
  const w11: f64 = x22 + x23 * R16, h11: f64 = Math.floor(w11 * INV32);
  const w12: f64 = x24 + x25 * R16, h12: f64 = Math.floor(w12 * INV32);
  const w13: f64 = x26 + x27 * R16, h13: f64 = Math.floor(w13 * INV32);
  const w14: f64 = x28 + x29 * R16, h14: f64 = Math.floor(w14 * INV32);
  const c0: f64 = w0 - h0 * R32;
  const c1: f64 = w1 - h1 * R32 + h0;
  const c2: f64 = w2 - h2 * R32 + h1;
  const c3: f64 = w3 - h3 * R32 + h2;
  const c4: f64 = w4 - h4 * R32 + h3;
  const c5: f64 = w5 - h5 * R32 + h4;
  const c6: f64 = w6 - h6 * R32 + h5;
  const c7: f64 = w7 - h7 * R32 + h6;
  const c8: f64 = w8 - h8 * R32 + h7;
  const c9: f64 = w9 - h9 * R32 + h8;
  const c10: f64 = w10 - h10 * R32 + h9;
  const c11: f64 = w11 - h11 * R32 + h10;
  const c12: f64 = w12 - h12 * R32 + h11;
  const c13: f64 = w13 - h13 * R32 + h12;
  const c14: f64 = w14 - h14 * R32 + h13;
  const c15: f64 = x30 + h14;
  solinasTo(out, c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14, c15);
}

/** out = the 512-bit value c15‖…‖c0 (32-bit words, as f64) mod p, by the P-256 Solinas reduction (FIPS 186-4
 *  D.2.3, or Hankerson–Menezes–Vanstone alg. 2.29): T + 2S1 + 2S2 + S3 + S4 − D1 − D2 − D3 − D4, each word a
 *  signed sum below 2^40 in magnitude. The identity holds for any word values, normalised or not. */
function solinasTo(out: Limbs, c0: f64, c1: f64, c2: f64, c3: f64, c4: f64, c5: f64, c6: f64, c7: f64,
  c8: f64, c9: f64, c10: f64, c11: f64, c12: f64, c13: f64, c14: f64, c15: f64): void {
  const r0: f64 = c0 + c8 + c9 - c11 - c12 - c13 - c14;
  const r1: f64 = c1 + c9 + c10 - c12 - c13 - c14 - c15;
  const r2: f64 = c2 + c10 + c11 - c13 - c14 - c15;
  const r3: f64 = c3 - c8 - c9 + 2 * c11 + 2 * c12 + c13 - c15;
  const r4: f64 = c4 - c9 - c10 + 2 * c12 + 2 * c13 + c14;
  const r5: f64 = c5 - c10 - c11 + 2 * c13 + 2 * c14 + c15;
  const r6: f64 = c6 - c8 - c9 + c13 + 3 * c14 + 2 * c15;
  const r7: f64 = c7 + c8 - c10 - c11 - c12 - c13 + 3 * c15;
  normalizeTo(out, r0, r1, r2, r3, r4, r5, r6, r7);
}

/** out = r7‖…‖r0 mod p, for words of any sign below 2^40 in magnitude. A carry chain through eight words is a
 *  chain of dependent floors, so two rounds of independent carries go first — each word keeps its low 32 bits and takes the carry of the word below, the top
 *  carry folded back in (2^256 ≡ 2^224 − 2^192 − 2^96 + 1 mod p) — which leaves every word in [0, 2^32) for all
 *  but rare inputs; those take the exact serial chain. */
function normalizeTo(out: Limbs, r0: f64, r1: f64, r2: f64, r3: f64, r4: f64, r5: f64, r6: f64, r7: f64): void {
  for (let round = 0; round < 2; round++) {
    const k0: f64 = Math.floor(r0 * INV32), k1: f64 = Math.floor(r1 * INV32), k2: f64 = Math.floor(r2 * INV32);
    const k3: f64 = Math.floor(r3 * INV32), k4: f64 = Math.floor(r4 * INV32), k5: f64 = Math.floor(r5 * INV32);
    const k6: f64 = Math.floor(r6 * INV32), k7: f64 = Math.floor(r7 * INV32);
    r0 = r0 - k0 * R32 + k7;
    r1 = r1 - k1 * R32 + k0;
    r2 = r2 - k2 * R32 + k1;
    r3 = r3 - k3 * R32 + k2 - k7;
    r4 = r4 - k4 * R32 + k3;
    r5 = r5 - k5 * R32 + k4;
    r6 = r6 - k6 * R32 + k5 - k7;
    r7 = r7 - k7 * R32 + k6 + k7;
  }
  if (!(isWord(r0) && isWord(r1) && isWord(r2) && isWord(r3) && isWord(r4) && isWord(r5) && isWord(r6) && isWord(r7))) {
    for (;;) {
      let carry: f64 = Math.floor(r0 * INV32); r0 -= carry * R32;
      r1 += carry; carry = Math.floor(r1 * INV32); r1 -= carry * R32;
      r2 += carry; carry = Math.floor(r2 * INV32); r2 -= carry * R32;
      r3 += carry; carry = Math.floor(r3 * INV32); r3 -= carry * R32;
      r4 += carry; carry = Math.floor(r4 * INV32); r4 -= carry * R32;
      r5 += carry; carry = Math.floor(r5 * INV32); r5 -= carry * R32;
      r6 += carry; carry = Math.floor(r6 * INV32); r6 -= carry * R32;
      r7 += carry; carry = Math.floor(r7 * INV32); r7 -= carry * R32;
      if (carry == 0) break;
      r0 += carry; r3 -= carry; r6 -= carry; r7 += carry;
    }
  }
  // Now 0 <= r < 2^256 < 2p: subtract p = (ffffffff, 1, 0, 0, 0, ffffffff, ffffffff, ffffffff) once if it fits,
  // which needs the top word all ones (rare).
  if (r7 == WORD_MAX) subtractPTo(out, r0, r1, r2, r3, r4, r5, r6, r7);
  else storeWords(out, r0, r1, r2, r3, r4, r5, r6, r7);
}

function isWord(x: f64): bool { return x >= 0 && x < R32; }

/** out = r − p if r >= p, else r (0 <= r < 2^256). */
function subtractPTo(out: Limbs, r0: f64, r1: f64, r2: f64, r3: f64, r4: f64, r5: f64, r6: f64, r7: f64): void {
  let d0: f64 = r0 - WORD_MAX; let borrow: f64 = Math.floor(d0 * INV32); d0 -= borrow * R32;
  let d1: f64 = r1 - WORD_MAX + borrow; borrow = Math.floor(d1 * INV32); d1 -= borrow * R32;
  let d2: f64 = r2 - WORD_MAX + borrow; borrow = Math.floor(d2 * INV32); d2 -= borrow * R32;
  let d3: f64 = r3 + borrow; borrow = Math.floor(d3 * INV32); d3 -= borrow * R32;
  let d4: f64 = r4 + borrow; borrow = Math.floor(d4 * INV32); d4 -= borrow * R32;
  let d5: f64 = r5 + borrow; borrow = Math.floor(d5 * INV32); d5 -= borrow * R32;
  let d6: f64 = r6 - 1 + borrow; borrow = Math.floor(d6 * INV32); d6 -= borrow * R32;
  let d7: f64 = r7 - WORD_MAX + borrow; borrow = Math.floor(d7 * INV32); d7 -= borrow * R32;
  if (borrow == 0) storeWords(out, d0, d1, d2, d3, d4, d5, d6, d7);
  else storeWords(out, r0, r1, r2, r3, r4, r5, r6, r7);
}

/** The eight words (each 0 <= w < 2^32) into out's 16 limbs. */
function storeWords(out: Limbs, r0: f64, r1: f64, r2: f64, r3: f64, r4: f64, r5: f64, r6: f64, r7: f64): void {
  if (out.length < 16) return;
  const w0: u32 = u32(r0); unchecked(out[0] = w0 & 0xffff); unchecked(out[1] = w0 >>> 16);
  const w1: u32 = u32(r1); unchecked(out[2] = w1 & 0xffff); unchecked(out[3] = w1 >>> 16);
  const w2: u32 = u32(r2); unchecked(out[4] = w2 & 0xffff); unchecked(out[5] = w2 >>> 16);
  const w3: u32 = u32(r3); unchecked(out[6] = w3 & 0xffff); unchecked(out[7] = w3 >>> 16);
  const w4: u32 = u32(r4); unchecked(out[8] = w4 & 0xffff); unchecked(out[9] = w4 >>> 16);
  const w5: u32 = u32(r5); unchecked(out[10] = w5 & 0xffff); unchecked(out[11] = w5 >>> 16);
  const w6: u32 = u32(r6); unchecked(out[12] = w6 & 0xffff); unchecked(out[13] = w6 >>> 16);
  const w7: u32 = u32(r7); unchecked(out[14] = w7 & 0xffff); unchecked(out[15] = w7 >>> 16);
}

/** out = ka·a + kb·b mod p for small integer coefficients (|k| <= 8), word by word and one normalisation: the
 *  additions, subtractions and small multiples of the point formulas cost one pass each, not one per term. (The
 *  limb accesses are written out: asc does not inline a helper once the shadow stack has instrumented it.) */
export function fieldCombine(out: Limbs, a: Limbs, ka: f64, b: Limbs, kb: f64): void {
  if (a.length < 16 || b.length < 16) return; // keeps the unchecked accesses in bounds
  normalizeTo(out,
    ka * (f64(unchecked(a[0])) + f64(unchecked(a[1])) * R16) + kb * (f64(unchecked(b[0])) + f64(unchecked(b[1])) * R16),
    ka * (f64(unchecked(a[2])) + f64(unchecked(a[3])) * R16) + kb * (f64(unchecked(b[2])) + f64(unchecked(b[3])) * R16),
    ka * (f64(unchecked(a[4])) + f64(unchecked(a[5])) * R16) + kb * (f64(unchecked(b[4])) + f64(unchecked(b[5])) * R16),
    ka * (f64(unchecked(a[6])) + f64(unchecked(a[7])) * R16) + kb * (f64(unchecked(b[6])) + f64(unchecked(b[7])) * R16),
    ka * (f64(unchecked(a[8])) + f64(unchecked(a[9])) * R16) + kb * (f64(unchecked(b[8])) + f64(unchecked(b[9])) * R16),
    ka * (f64(unchecked(a[10])) + f64(unchecked(a[11])) * R16) + kb * (f64(unchecked(b[10])) + f64(unchecked(b[11])) * R16),
    ka * (f64(unchecked(a[12])) + f64(unchecked(a[13])) * R16) + kb * (f64(unchecked(b[12])) + f64(unchecked(b[13])) * R16),
    ka * (f64(unchecked(a[14])) + f64(unchecked(a[15])) * R16) + kb * (f64(unchecked(b[14])) + f64(unchecked(b[15])) * R16));
}

function fieldAdd(out: Limbs, a: Limbs, b: Limbs): void { fieldCombine(out, a, 1, b, 1); }
function fieldSub(out: Limbs, a: Limbs, b: Limbs): void { fieldCombine(out, a, 1, b, -1); }

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

/** Table of 0·P … (size − 1)·P (entry 0 is the point at infinity). */
function multiplesInto(curve: P256, table: Array<JacobianPoint>, pt: JacobianPoint): void {
  table[0].setInfinity();
  table[1].setTo(pt);
  for (let i = 2; i < table.length; i++) {
    if ((i & 1) == 0) curve.double(table[i], table[i >> 1]);
    else curve.add(table[i], table[i - 1], pt);
  }
}

function pointTable(size: i32): Array<JacobianPoint> {
  const table = new Array<JacobianPoint>(size);
  for (let i = 0; i < size; i++) table[i] = JacobianPoint.infinity();
  return table;
}

/** Bits [4·window, 4·window + 4) of a 256-bit scalar in 16-bit limbs. */
function nibble(scalar: Limbs, window: i32): i32 {
  return i32((scalar[window >> 2] >>> u32((window & 3) << 2)) & 15);
}

/** Bits [8·window, 8·window + 8). */
function byteAt(scalar: Limbs, window: i32): i32 {
  return i32((scalar[window >> 1] >>> u32((window & 1) << 3)) & 0xff);
}

export class P256 {
  readonly p: Limbs;
  readonly n: Limbs;
  /** Arithmetic modulo the group order (for the ECDSA scalars). */
  readonly order: Montgomery;
  private readonly b: Limbs;
  readonly g: JacobianPoint;
  /** 0·G … 255·G, built on the first verification (a plane with its own verifier only parses keys here, and
   *  never pays for it); and the per-call table 0·Q … 15·Q. */
  private gTable: Array<JacobianPoint> | null = null;
  private readonly qTable: Array<JacobianPoint> = pointTable(16);
  // Registers for double/add (one curve object per instance; the filter is single-threaded).
  private r0: Limbs = register(); private r1: Limbs = register(); private r2: Limbs = register();
  private r3: Limbs = register(); private r4: Limbs = register(); private r5: Limbs = register();
  private r6: Limbs = register(); private r7: Limbs = register(); private r8: Limbs = register();

  constructor() {
    const order = new Montgomery(constant("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551"));
    this.p = P;
    this.n = order.modulus;
    this.order = order;
    this.b = constant("5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604b");
    const one = register();
    one[0] = 1;
    this.g = new JacobianPoint(
      constant("6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296"),
      constant("4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5"),
      one,
    );
  }

  private generatorTable(): Array<JacobianPoint> {
    let table = this.gTable;
    if (table == null) {
      table = pointTable(256);
      multiplesInto(this, table, this.g);
      this.gTable = table;
    }
    return table;
  }

  /** A public point from 32-byte big-endian coordinates, or null unless 0 <= x, y < p and y² = x³ - 3x + b.
   *  (The point at infinity has no affine encoding; the cofactor is 1, so on the curve means in the group.) */
  publicPoint(x: Uint8Array, y: Uint8Array): JacobianPoint | null {
    if (x.length != 32 || y.length != 32) return null;
    const xl = limbsFromBytes(x, LIMBS)!;
    const yl = limbsFromBytes(y, LIMBS)!;
    if (compareLimbs(xl, P) >= 0 || compareLimbs(yl, P) >= 0) return null;
    const one = register();
    one[0] = 1;
    const lhs = register();
    fieldSqr(lhs, yl);
    const rhs = register();
    fieldSqr(rhs, xl);
    fieldMul(rhs, rhs, xl);
    const threeX = register();
    fieldAdd(threeX, xl, xl);
    fieldAdd(threeX, threeX, xl);
    fieldSub(rhs, rhs, threeX);
    fieldAdd(rhs, rhs, this.b);
    return compareLimbs(lhs, rhs) == 0 ? new JacobianPoint(xl, yl, one) : null;
  }

  /** out = 2·pt (out may be pt). */
  double(out: JacobianPoint, pt: JacobianPoint): void {
    if (pt.isInfinity() || isZeroLimbs(pt.y)) { out.setInfinity(); return; }
    const delta = this.r0, gamma = this.r1, beta = this.r2, alpha = this.r3, t = this.r4, x3 = this.r5, z3 = this.r6;
    fieldSqr(delta, pt.z);
    fieldSqr(gamma, pt.y);
    fieldMul(beta, pt.x, gamma);
    fieldSub(t, pt.x, delta);
    fieldAdd(alpha, pt.x, delta);
    fieldMul(t, t, alpha);
    fieldCombine(alpha, t, 3, t, 0); // alpha = 3(X - delta)(X + delta)
    fieldCombine(beta, beta, 4, beta, 0); // beta = 4·X·gamma
    fieldSqr(x3, alpha);
    fieldCombine(x3, x3, 1, beta, -2); // X3 = alpha² - 8·X·gamma
    fieldMul(z3, pt.y, pt.z);
    fieldCombine(z3, z3, 2, z3, 0); // Z3 = (Y + Z)² - gamma - delta = 2·Y·Z
    fieldSub(t, beta, x3);
    fieldMul(t, alpha, t);
    fieldSqr(gamma, gamma);
    fieldCombine(out.y, t, 1, gamma, -8); // Y3 = alpha(4·beta - X3) - 8·gamma²
    copyLimbs(out.x, x3);
    copyLimbs(out.z, z3);
  }

  /** out = p1 + p2 (out may be p1 or p2). */
  add(out: JacobianPoint, p1: JacobianPoint, p2: JacobianPoint): void {
    if (p1.isInfinity()) { out.setTo(p2); return; }
    if (p2.isInfinity()) { out.setTo(p1); return; }
    const z1z1 = this.r0, z2z2 = this.r1, u1 = this.r2, u2 = this.r3, s1 = this.r4, s2 = this.r5;
    fieldSqr(z1z1, p1.z);
    fieldSqr(z2z2, p2.z);
    fieldMul(u1, p1.x, z2z2);
    fieldMul(u2, p2.x, z1z1);
    fieldMul(s1, p1.y, p2.z);
    fieldMul(s1, s1, z2z2);
    fieldMul(s2, p2.y, p1.z);
    fieldMul(s2, s2, z1z1);
    const h = u2, r = s2;
    fieldSub(h, u2, u1);
    fieldSub(r, s2, s1);
    if (isZeroLimbs(h)) {
      if (isZeroLimbs(r)) this.double(out, p1);
      else out.setInfinity();
      return;
    }
    const hh = z1z1, hhh = z2z2, v = this.r6, x3 = this.r7, z3 = this.r8;
    fieldMul(z3, p1.z, p2.z);
    fieldMul(z3, z3, h);
    fieldSqr(hh, h);
    fieldMul(hhh, h, hh);
    fieldMul(v, u1, hh);
    fieldSqr(x3, r);
    fieldSub(x3, x3, hhh);
    fieldSub(x3, x3, v);
    fieldSub(x3, x3, v); // X3 = r² - H³ - 2·U1·H²
    fieldSub(v, v, x3);
    fieldMul(v, r, v);
    fieldMul(s1, s1, hhh);
    fieldSub(out.y, v, s1); // Y3 = r(U1·H² - X3) - S1·H³
    copyLimbs(out.x, x3);
    copyLimbs(out.z, z3);
  }

  /** u1·G + u2·Q, scalars as plain limbs < 2^256. */
  mulAddGenerator(u1: Limbs, u2: Limbs, q: JacobianPoint): JacobianPoint {
    const qTable = this.qTable;
    const gTable = this.generatorTable();
    multiplesInto(this, qTable, q);
    const acc = JacobianPoint.infinity();
    for (let window = 63; window >= 0; window--) {
      if (window != 63) for (let i = 0; i < 4; i++) this.double(acc, acc);
      this.add(acc, acc, qTable[nibble(u2, window)]);
      if ((window & 1) == 0) this.add(acc, acc, gTable[byteAt(u1, window >> 1)]);
    }
    return acc;
  }

  /** Whether the affine x of a finite point, reduced mod n, equals r (0 < r < n). x = X/Z² needs no inversion:
   *  x mod n = r exactly when X = r·Z² or, if r + n < p, X = (r + n)·Z² (x < p < 2n). */
  affineXModOrderIs(pt: JacobianPoint, r: Limbs): bool {
    const zz = this.r0, candidate = this.r1, rPlusN = this.r2;
    fieldSqr(zz, pt.z);
    fieldMul(candidate, r, zz);
    if (compareLimbs(candidate, pt.x) == 0) return true;
    fieldAdd(rPlusN, r, this.n); // (r + n) mod p: below n exactly when r + n >= p wrapped
    if (compareLimbs(rPlusN, this.n) < 0) return false;
    fieldMul(candidate, rPlusN, zz);
    return compareLimbs(candidate, pt.x) == 0;
  }

}

let curve: P256 | null = null;

/** The curve: its constants built once per instance on first use (module start-up stays free
 *  of big-number work). */
export function p256(): P256 {
  if (curve == null) curve = new P256();
  return curve!;
}
