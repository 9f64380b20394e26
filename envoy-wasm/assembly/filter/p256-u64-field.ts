// The NIST P-256 prime field (p = 2^256 − 2^224 + 2^192 + 2^96 − 1) on 64-bit integers, for the Envoy plane's
// ES256 verifier (p256-u64.ts). asc only: the portable core (shared/src/p256.ts) compiles under tsc too, so it
// cannot use i64/u64 and sums 16-bit limb products in f64. Here an element is eight 32-bit words held in u64, so
// a product is 64 native u64 multiplications (256 for 16-bit limbs); each product's low and high halves go into
// 32-bit-aligned columns (at most 16 terms below 2^32 each, no carries in between), and the columns are reduced
// by the prime's Solinas form (FIPS 186-4 D.2.3) in signed i64 words with one carry chain.

/** A field element: the address of eight little-endian 32-bit words in u64 (64 bytes of unmanaged memory),
 *  each below 2^32, the value below p. Raw addresses, not managed arrays: asc spills a managed reference to the
 *  shadow stack on every access, which cost more than the arithmetic. */
export type Fe = usize;
export const FE_SIZE: usize = 64;

const M32: u64 = 0xffffffff;

/** A zeroed element in memory that is never freed (the curve allocates its tables and registers once). */
export function fe(): Fe {
  const out = heap.alloc(FE_SIZE);
  memory.fill(out, 0, FE_SIZE);
  return out;
}

/** out = 32 big-endian bytes (the caller has checked the value is below p). */
export function feSetBytes(out: Fe, bytes: Uint8Array): void {
  const at = bytes.dataStart;
  for (let i: usize = 0; i < 8; i++) store<u64>(out + (i << 3), u64(bswap<u32>(load<u32>(at + 28 - (i << 2)))));
}

/** out = 64 big-endian hex digits (constants). */
export function feSetHex(out: Fe, hex: string): void {
  for (let i = 0; i < 8; i++) store<u64>(out + (<usize>i << 3), U64.parseInt(hex.substr(56 - 8 * i, 8), 16));
}

export function feIsZero(a: Fe): bool {
  return (load<u64>(a, 0) | load<u64>(a, 8) | load<u64>(a, 16) | load<u64>(a, 24) |
    load<u64>(a, 32) | load<u64>(a, 40) | load<u64>(a, 48) | load<u64>(a, 56)) == 0;
}

export function feEquals(a: Fe, b: Fe): bool { return memory.compare(a, b, FE_SIZE) == 0; }

/** -1, 0 or 1 as a <, =, > b. */
export function feCompare(a: Fe, b: Fe): i32 {
  for (let i = 7; i >= 0; i--) {
    const x = load<u64>(a + (<usize>i << 3)), y = load<u64>(b + (<usize>i << 3));
    if (x != y) return x < y ? -1 : 1;
  }
  return 0;
}

export function feCopy(dst: Fe, src: Fe): void { memory.copy(dst, src, FE_SIZE); }

export function feZero(a: Fe): void { memory.fill(a, 0, FE_SIZE); }

/** out = a·b mod p (out may be a or b): column k collects the low halves of the products a_i·b_j with i + j = k
 *  and the high halves of those with i + j = k − 1 (below 2^36 in all). Written out so nothing is indexed in
 *  between. */
export function feMul(out: Fe, a: Fe, b: Fe): void {
  const a0 = load<u64>(a, 0), a1 = load<u64>(a, 8), a2 = load<u64>(a, 16), a3 = load<u64>(a, 24);
  const a4 = load<u64>(a, 32), a5 = load<u64>(a, 40), a6 = load<u64>(a, 48), a7 = load<u64>(a, 56);
  const b0 = load<u64>(b, 0), b1 = load<u64>(b, 8), b2 = load<u64>(b, 16), b3 = load<u64>(b, 24);
  const b4 = load<u64>(b, 32), b5 = load<u64>(b, 40), b6 = load<u64>(b, 48), b7 = load<u64>(b, 56);
  const p00: u64 = a0 * b0;
  const p01: u64 = a0 * b1;
  const p02: u64 = a0 * b2;
  const p03: u64 = a0 * b3;
  const p04: u64 = a0 * b4;
  const p05: u64 = a0 * b5;
  const p06: u64 = a0 * b6;
  const p07: u64 = a0 * b7;
  const p10: u64 = a1 * b0;
  const p11: u64 = a1 * b1;
  const p12: u64 = a1 * b2;
  const p13: u64 = a1 * b3;
  const p14: u64 = a1 * b4;
  const p15: u64 = a1 * b5;
  const p16: u64 = a1 * b6;
  const p17: u64 = a1 * b7;
  const p20: u64 = a2 * b0;
  const p21: u64 = a2 * b1;
  const p22: u64 = a2 * b2;
  const p23: u64 = a2 * b3;
  const p24: u64 = a2 * b4;
  const p25: u64 = a2 * b5;
  const p26: u64 = a2 * b6;
  const p27: u64 = a2 * b7;
  const p30: u64 = a3 * b0;
  const p31: u64 = a3 * b1;
  const p32: u64 = a3 * b2;
  const p33: u64 = a3 * b3;
  const p34: u64 = a3 * b4;
  const p35: u64 = a3 * b5;
  const p36: u64 = a3 * b6;
  const p37: u64 = a3 * b7;
  const p40: u64 = a4 * b0;
  const p41: u64 = a4 * b1;
  const p42: u64 = a4 * b2;
  const p43: u64 = a4 * b3;
  const p44: u64 = a4 * b4;
  const p45: u64 = a4 * b5;
  const p46: u64 = a4 * b6;
  const p47: u64 = a4 * b7;
  const p50: u64 = a5 * b0;
  const p51: u64 = a5 * b1;
  const p52: u64 = a5 * b2;
  const p53: u64 = a5 * b3;
  const p54: u64 = a5 * b4;
  const p55: u64 = a5 * b5;
  const p56: u64 = a5 * b6;
  const p57: u64 = a5 * b7;
  const p60: u64 = a6 * b0;
  const p61: u64 = a6 * b1;
  const p62: u64 = a6 * b2;
  const p63: u64 = a6 * b3;
  const p64: u64 = a6 * b4;
  const p65: u64 = a6 * b5;
  const p66: u64 = a6 * b6;
  const p67: u64 = a6 * b7;
  const p70: u64 = a7 * b0;
  const p71: u64 = a7 * b1;
  const p72: u64 = a7 * b2;
  const p73: u64 = a7 * b3;
  const p74: u64 = a7 * b4;
  const p75: u64 = a7 * b5;
  const p76: u64 = a7 * b6;
  const p77: u64 = a7 * b7;
  const c0: i64 = i64((p00 & M32));
  const c1: i64 = i64((p00 >> 32) + (p01 & M32) + (p10 & M32));
  const c2: i64 = i64((p01 >> 32) + (p02 & M32) + (p10 >> 32) + (p11 & M32) + (p20 & M32));
  const c3: i64 = i64((p02 >> 32) + (p03 & M32) + (p11 >> 32) + (p12 & M32) + (p20 >> 32) + (p21 & M32) + (p30 & M32));
  const c4: i64 = i64((p03 >> 32) + (p04 & M32) + (p12 >> 32) + (p13 & M32) + (p21 >> 32) + (p22 & M32) + (p30 >> 32) + (p31 & M32) + (p40 & M32));
  const c5: i64 = i64((p04 >> 32) + (p05 & M32) + (p13 >> 32) + (p14 & M32) + (p22 >> 32) + (p23 & M32) + (p31 >> 32) + (p32 & M32) + (p40 >> 32) + (p41 & M32) + (p50 & M32));
  const c6: i64 = i64((p05 >> 32) + (p06 & M32) + (p14 >> 32) + (p15 & M32) + (p23 >> 32) + (p24 & M32) + (p32 >> 32) + (p33 & M32) + (p41 >> 32) + (p42 & M32) + (p50 >> 32) + (p51 & M32) + (p60 & M32));
  const c7: i64 = i64((p06 >> 32) + (p07 & M32) + (p15 >> 32) + (p16 & M32) + (p24 >> 32) + (p25 & M32) + (p33 >> 32) + (p34 & M32) + (p42 >> 32) + (p43 & M32) + (p51 >> 32) + (p52 & M32) + (p60 >> 32) + (p61 & M32) + (p70 & M32));
  const c8: i64 = i64((p07 >> 32) + (p16 >> 32) + (p17 & M32) + (p25 >> 32) + (p26 & M32) + (p34 >> 32) + (p35 & M32) + (p43 >> 32) + (p44 & M32) + (p52 >> 32) + (p53 & M32) + (p61 >> 32) + (p62 & M32) + (p70 >> 32) + (p71 & M32));
  const c9: i64 = i64((p17 >> 32) + (p26 >> 32) + (p27 & M32) + (p35 >> 32) + (p36 & M32) + (p44 >> 32) + (p45 & M32) + (p53 >> 32) + (p54 & M32) + (p62 >> 32) + (p63 & M32) + (p71 >> 32) + (p72 & M32));
  const c10: i64 = i64((p27 >> 32) + (p36 >> 32) + (p37 & M32) + (p45 >> 32) + (p46 & M32) + (p54 >> 32) + (p55 & M32) + (p63 >> 32) + (p64 & M32) + (p72 >> 32) + (p73 & M32));
  const c11: i64 = i64((p37 >> 32) + (p46 >> 32) + (p47 & M32) + (p55 >> 32) + (p56 & M32) + (p64 >> 32) + (p65 & M32) + (p73 >> 32) + (p74 & M32));
  const c12: i64 = i64((p47 >> 32) + (p56 >> 32) + (p57 & M32) + (p65 >> 32) + (p66 & M32) + (p74 >> 32) + (p75 & M32));
  const c13: i64 = i64((p57 >> 32) + (p66 >> 32) + (p67 & M32) + (p75 >> 32) + (p76 & M32));
  const c14: i64 = i64((p67 >> 32) + (p76 >> 32) + (p77 & M32));
  const c15: i64 = i64((p77 >> 32));
  solinasTo(out, c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14, c15);
}

/** out = a² mod p: the cross products once, doubled. */
export function feSqr(out: Fe, a: Fe): void {
  const a0 = load<u64>(a, 0), a1 = load<u64>(a, 8), a2 = load<u64>(a, 16), a3 = load<u64>(a, 24);
  const a4 = load<u64>(a, 32), a5 = load<u64>(a, 40), a6 = load<u64>(a, 48), a7 = load<u64>(a, 56);
  const p00: u64 = a0 * a0;
  const p01: u64 = a0 * a1;
  const p02: u64 = a0 * a2;
  const p03: u64 = a0 * a3;
  const p04: u64 = a0 * a4;
  const p05: u64 = a0 * a5;
  const p06: u64 = a0 * a6;
  const p07: u64 = a0 * a7;
  const p11: u64 = a1 * a1;
  const p12: u64 = a1 * a2;
  const p13: u64 = a1 * a3;
  const p14: u64 = a1 * a4;
  const p15: u64 = a1 * a5;
  const p16: u64 = a1 * a6;
  const p17: u64 = a1 * a7;
  const p22: u64 = a2 * a2;
  const p23: u64 = a2 * a3;
  const p24: u64 = a2 * a4;
  const p25: u64 = a2 * a5;
  const p26: u64 = a2 * a6;
  const p27: u64 = a2 * a7;
  const p33: u64 = a3 * a3;
  const p34: u64 = a3 * a4;
  const p35: u64 = a3 * a5;
  const p36: u64 = a3 * a6;
  const p37: u64 = a3 * a7;
  const p44: u64 = a4 * a4;
  const p45: u64 = a4 * a5;
  const p46: u64 = a4 * a6;
  const p47: u64 = a4 * a7;
  const p55: u64 = a5 * a5;
  const p56: u64 = a5 * a6;
  const p57: u64 = a5 * a7;
  const p66: u64 = a6 * a6;
  const p67: u64 = a6 * a7;
  const p77: u64 = a7 * a7;
  const c0: i64 = i64((p00 & M32));
  const c1: i64 = i64((p00 >> 32) + 2 * (p01 & M32));
  const c2: i64 = i64(2 * (p01 >> 32) + 2 * (p02 & M32) + (p11 & M32));
  const c3: i64 = i64(2 * (p02 >> 32) + 2 * (p03 & M32) + (p11 >> 32) + 2 * (p12 & M32));
  const c4: i64 = i64(2 * (p03 >> 32) + 2 * (p04 & M32) + 2 * (p12 >> 32) + 2 * (p13 & M32) + (p22 & M32));
  const c5: i64 = i64(2 * (p04 >> 32) + 2 * (p05 & M32) + 2 * (p13 >> 32) + 2 * (p14 & M32) + (p22 >> 32) + 2 * (p23 & M32));
  const c6: i64 = i64(2 * (p05 >> 32) + 2 * (p06 & M32) + 2 * (p14 >> 32) + 2 * (p15 & M32) + 2 * (p23 >> 32) + 2 * (p24 & M32) + (p33 & M32));
  const c7: i64 = i64(2 * (p06 >> 32) + 2 * (p07 & M32) + 2 * (p15 >> 32) + 2 * (p16 & M32) + 2 * (p24 >> 32) + 2 * (p25 & M32) + (p33 >> 32) + 2 * (p34 & M32));
  const c8: i64 = i64(2 * (p07 >> 32) + 2 * (p16 >> 32) + 2 * (p17 & M32) + 2 * (p25 >> 32) + 2 * (p26 & M32) + 2 * (p34 >> 32) + 2 * (p35 & M32) + (p44 & M32));
  const c9: i64 = i64(2 * (p17 >> 32) + 2 * (p26 >> 32) + 2 * (p27 & M32) + 2 * (p35 >> 32) + 2 * (p36 & M32) + (p44 >> 32) + 2 * (p45 & M32));
  const c10: i64 = i64(2 * (p27 >> 32) + 2 * (p36 >> 32) + 2 * (p37 & M32) + 2 * (p45 >> 32) + 2 * (p46 & M32) + (p55 & M32));
  const c11: i64 = i64(2 * (p37 >> 32) + 2 * (p46 >> 32) + 2 * (p47 & M32) + (p55 >> 32) + 2 * (p56 & M32));
  const c12: i64 = i64(2 * (p47 >> 32) + 2 * (p56 >> 32) + 2 * (p57 & M32) + (p66 & M32));
  const c13: i64 = i64(2 * (p57 >> 32) + (p66 >> 32) + 2 * (p67 & M32));
  const c14: i64 = i64(2 * (p67 >> 32) + (p77 & M32));
  const c15: i64 = i64((p77 >> 32));
  solinasTo(out, c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14, c15);
}

/** out = the 512-bit value Σ c_k·2^(32k) mod p (columns, not necessarily below 2^32, |c_k| < 2^37), by the
 *  Solinas identity T + 2S1 + 2S2 + S3 + S4 − D1 − D2 − D3 − D4, which holds for any column values; each result
 *  word is a signed sum below 2^41 in magnitude. */
function solinasTo(out: Fe, c0: i64, c1: i64, c2: i64, c3: i64, c4: i64, c5: i64, c6: i64, c7: i64,
  c8: i64, c9: i64, c10: i64, c11: i64, c12: i64, c13: i64, c14: i64, c15: i64): void {
  normalizeTo(out,
    c0 + c8 + c9 - c11 - c12 - c13 - c14,
    c1 + c9 + c10 - c12 - c13 - c14 - c15,
    c2 + c10 + c11 - c13 - c14 - c15,
    c3 - c8 - c9 + 2 * c11 + 2 * c12 + c13 - c15,
    c4 - c9 - c10 + 2 * c12 + 2 * c13 + c14,
    c5 - c10 - c11 + 2 * c13 + 2 * c14 + c15,
    c6 - c8 - c9 + c13 + 3 * c14 + 2 * c15,
    c7 + c8 - c10 - c11 - c12 - c13 + 3 * c15);
}

/** out = Σ r_i·2^(32i) mod p, fully reduced, for signed words below 2^62 in magnitude: a carry chain (an
 *  arithmetic shift is a floor division), the carry out of the top folded back in (2^256 ≡ 2^224 − 2^192 − 2^96 + 1)
 *  until none is left — at most a few rounds, since each fold is 2^32 times smaller than the carry it replaces —
 *  then one subtraction of p if the value is still at least p (it is below 2^256 < 2p). */
function normalizeTo(out: Fe, r0: i64, r1: i64, r2: i64, r3: i64, r4: i64, r5: i64, r6: i64, r7: i64): void {
  for (;;) {
    let carry: i64 = r0 >> 32; r0 &= M32;
    r1 += carry; carry = r1 >> 32; r1 &= M32;
    r2 += carry; carry = r2 >> 32; r2 &= M32;
    r3 += carry; carry = r3 >> 32; r3 &= M32;
    r4 += carry; carry = r4 >> 32; r4 &= M32;
    r5 += carry; carry = r5 >> 32; r5 &= M32;
    r6 += carry; carry = r6 >> 32; r6 &= M32;
    r7 += carry; carry = r7 >> 32; r7 &= M32;
    if (carry == 0) break;
    r0 += carry; r3 -= carry; r6 -= carry; r7 += carry;
  }
  // p's words, low to high: ffffffff ffffffff ffffffff 0 0 0 1 ffffffff. A value at least p has its top word all ones.
  if (r7 == i64(M32)) {
    let d: i64 = r0 - i64(M32); const d0 = d & M32; let borrow: i64 = d >> 32;
    d = r1 - i64(M32) + borrow; const d1 = d & M32; borrow = d >> 32;
    d = r2 - i64(M32) + borrow; const d2 = d & M32; borrow = d >> 32;
    d = r3 + borrow; const d3 = d & M32; borrow = d >> 32;
    d = r4 + borrow; const d4 = d & M32; borrow = d >> 32;
    d = r5 + borrow; const d5 = d & M32; borrow = d >> 32;
    d = r6 - 1 + borrow; const d6 = d & M32; borrow = d >> 32;
    d = r7 - i64(M32) + borrow; const d7 = d & M32; borrow = d >> 32;
    if (borrow == 0) { r0 = d0; r1 = d1; r2 = d2; r3 = d3; r4 = d4; r5 = d5; r6 = d6; r7 = d7; }
  }
  store<u64>(out, u64(r0), 0); store<u64>(out, u64(r1), 8); store<u64>(out, u64(r2), 16); store<u64>(out, u64(r3), 24);
  store<u64>(out, u64(r4), 32); store<u64>(out, u64(r5), 40); store<u64>(out, u64(r6), 48); store<u64>(out, u64(r7), 56);
}

/** out = ka·a + kb·b mod p for small integer coefficients (|k| <= 8): the additions, subtractions and small
 *  multiples of the point formulas in one pass each. */
export function feCombine(out: Fe, a: Fe, ka: i64, b: Fe, kb: i64): void {
  normalizeTo(out,
    ka * i64(load<u64>(a, 0)) + kb * i64(load<u64>(b, 0)), ka * i64(load<u64>(a, 8)) + kb * i64(load<u64>(b, 8)),
    ka * i64(load<u64>(a, 16)) + kb * i64(load<u64>(b, 16)), ka * i64(load<u64>(a, 24)) + kb * i64(load<u64>(b, 24)),
    ka * i64(load<u64>(a, 32)) + kb * i64(load<u64>(b, 32)), ka * i64(load<u64>(a, 40)) + kb * i64(load<u64>(b, 40)),
    ka * i64(load<u64>(a, 48)) + kb * i64(load<u64>(b, 48)), ka * i64(load<u64>(a, 56)) + kb * i64(load<u64>(b, 56)));
}
