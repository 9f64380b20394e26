// ES256 (ECDSA on P-256 with SHA-256 digests, signature r‖s as JWS carries it: RFC 7518 §3.4) for the Envoy
// plane, on the 64-bit field of p256-u64-field.ts. The algorithm is the portable verifier's (shared/src/ecdsa.ts,
// shared/src/p256.ts), only the field arithmetic differs: Jacobian points, "dbl-2001-b" (a = -3) and
// "add-2007-bl" from the Explicit-Formulas Database, u1·G + u2·Q by interleaved fixed windows (4-bit windows of
// u2 over a per-call table of Q, 8-bit windows of u1 over a table of G built once per instance, sharing the 252
// doublings), and x(R) mod n = r checked without an inversion; the scalars mod n come from p256-u64-scalar.ts.
// The public key was validated (on the curve, coordinates below p) when its JWK was parsed. Public data only:
// nothing here is constant time.
import { U1, U2, ecdsaScalars, isNonZeroBelowOrder, reduceOnceModN, wordsFromBytes } from "./p256-u64-scalar";
import { FE_SIZE, Fe, fe, feCombine, feCompare, feCopy, feEquals, feIsZero, feMul, feSetBytes, feSetHex, feSqr, feZero } from "./p256-u64-field";

/** A point: the address of its X, Y, Z elements, one after the other (Z = 0 for the point at infinity). */
type Point = usize;
const POINT_SIZE: usize = 3 * FE_SIZE;

function px(p: Point): Fe { return p; }
function py(p: Point): Fe { return p + FE_SIZE; }
function pz(p: Point): Fe { return p + 2 * FE_SIZE; }
function isInfinity(p: Point): bool { return feIsZero(pz(p)); }
function setTo(p: Point, other: Point): void { memory.copy(p, other, POINT_SIZE); }
function setInfinity(p: Point): void { memory.fill(p, 0, POINT_SIZE); }

/** `size` points at infinity in memory that is never freed (tables live as long as the instance). */
function pointTable(size: i32): usize {
  const table = heap.alloc(<usize>size * POINT_SIZE);
  memory.fill(table, 0, <usize>size * POINT_SIZE);
  return table;
}

function entry(table: usize, i: i32): Point { return table + <usize>i * POINT_SIZE; }

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

// The curve's state, in unmanaged memory allocated once per instance on first use (plain addresses in globals:
// a class instance would be a managed reference, spilled to the shadow stack around every call). The filter is
// single-threaded, so the registers of double/add and the per-call table of Q are shared.
let ready = false;
let n: Fe = 0;
/** 0·G … 255·G, and 0·Q … 15·Q for the key being checked. */
let gTable: usize = 0;
let qTable: usize = 0;
let acc: Point = 0;
let rField: Fe = 0;
let r0: Fe = 0, r1: Fe = 0, r2: Fe = 0, r3: Fe = 0, r4: Fe = 0, r5: Fe = 0, r6: Fe = 0, r7: Fe = 0, r8: Fe = 0;

function setUp(): void {
  n = fe();
  feSetHex(n, "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551");
  gTable = pointTable(256);
  qTable = pointTable(16);
  acc = pointTable(1);
  rField = fe();
  r0 = fe(); r1 = fe(); r2 = fe(); r3 = fe(); r4 = fe(); r5 = fe(); r6 = fe(); r7 = fe(); r8 = fe();
  const g = entry(gTable, 1);
  feSetHex(px(g), "6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296");
  feSetHex(py(g), "4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5");
  store<u64>(pz(g), 1);
  multiplesInto(gTable, 256);
  ready = true;
}

/** True when the 64-byte r‖s signature of the SHA-256 digest `hash` verifies under the public point (x, y),
 *  given as 32-byte big-endian coordinates already validated as a point of the curve. */
export function verifyEs256(x: Uint8Array, y: Uint8Array, hash: Uint8Array, signature: Uint8Array): bool {
  if (signature.length != 64 || hash.length != 32 || x.length != 32 || y.length != 32) return false;
  if (!ready) setUp();
  const rBytes = signature.subarray(0, 32);
  wordsFromBytes(R_WORDS, rBytes);
  wordsFromBytes(S_WORDS, signature.subarray(32, 64));
  if (!isNonZeroBelowOrder(R_WORDS) || !isNonZeroBelowOrder(S_WORDS)) return false;
  // The digest is as long as the order (256 bits): e = hash mod n, one subtraction at most.
  wordsFromBytes(E_WORDS, hash);
  reduceOnceModN(E_WORDS);
  ecdsaScalars(E_WORDS, R_WORDS, S_WORDS); // n is prime and 0 < s < n: s is invertible
  const q = entry(qTable, 1);
  feSetBytes(px(q), x);
  feSetBytes(py(q), y);
  feZero(pz(q));
  store<u64>(pz(q), 1);
  const point = mulAddGenerator(U1, U2);
  feSetBytes(rField, rBytes);
  return !isInfinity(point) && affineXModOrderIs(point, rField);
}

/** Entry i = i·P for i < size, given P in entry 1 (entry 0 is the point at infinity). */
function multiplesInto(table: usize, size: i32): void {
  setInfinity(entry(table, 0));
  for (let i = 2; i < size; i++) {
    if ((i & 1) == 0) double(entry(table, i), entry(table, i >> 1));
    else add(entry(table, i), entry(table, i - 1), entry(table, 1));
  }
}

/** out = 2·pt (out may be pt). */
function double(out: Point, pt: Point): void {
  if (isInfinity(pt) || feIsZero(py(pt))) { setInfinity(out); return; }
  const delta = r0, gamma = r1, beta = r2, alpha = r3, t = r4, x3 = r5, z3 = r6;
  feSqr(delta, pz(pt));
  feSqr(gamma, py(pt));
  feMul(beta, px(pt), gamma);
  feCombine(t, px(pt), 1, delta, -1);
  feCombine(alpha, px(pt), 1, delta, 1);
  feMul(t, t, alpha);
  feCombine(alpha, t, 3, t, 0); // alpha = 3(X - delta)(X + delta)
  feCombine(beta, beta, 4, beta, 0); // beta = 4·X·gamma
  feSqr(x3, alpha);
  feCombine(x3, x3, 1, beta, -2); // X3 = alpha² - 8·X·gamma
  feMul(z3, py(pt), pz(pt));
  feCombine(z3, z3, 2, z3, 0); // Z3 = (Y + Z)² - gamma - delta = 2·Y·Z
  feCombine(t, beta, 1, x3, -1);
  feMul(t, alpha, t);
  feSqr(gamma, gamma);
  feCombine(py(out), t, 1, gamma, -8); // Y3 = alpha(4·beta - X3) - 8·gamma²
  feCopy(px(out), x3);
  feCopy(pz(out), z3);
}

/** out = p1 + p2 (out may be p1 or p2). */
function add(out: Point, p1: Point, p2: Point): void {
  if (isInfinity(p1)) { setTo(out, p2); return; }
  if (isInfinity(p2)) { setTo(out, p1); return; }
  const z1z1 = r0, z2z2 = r1, u1 = r2, u2 = r3, s1 = r4, s2 = r5;
  feSqr(z1z1, pz(p1));
  feSqr(z2z2, pz(p2));
  feMul(u1, px(p1), z2z2);
  feMul(u2, px(p2), z1z1);
  feMul(s1, py(p1), pz(p2));
  feMul(s1, s1, z2z2);
  feMul(s2, py(p2), pz(p1));
  feMul(s2, s2, z1z1);
  const h = u2, r = s2;
  feCombine(h, u2, 1, u1, -1);
  feCombine(r, s2, 1, s1, -1);
  if (feIsZero(h)) {
    if (feIsZero(r)) double(out, p1);
    else setInfinity(out);
    return;
  }
  const hh = z1z1, hhh = z2z2, v = r6, x3 = r7, z3 = r8;
  feMul(z3, pz(p1), pz(p2));
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
  feCombine(py(out), v, 1, s1, -1); // Y3 = r(U1·H² - X3) - S1·H³
  feCopy(px(out), x3);
  feCopy(pz(out), z3);
}

/** u1·G + u2·Q for Q in qTable's entry 1, scalars as words below 2^256. */
function mulAddGenerator(u1: usize, u2: usize): Point {
  multiplesInto(qTable, 16);
  setInfinity(acc);
  for (let window = 63; window >= 0; window--) {
    if (window != 63) for (let i = 0; i < 4; i++) double(acc, acc);
    add(acc, acc, entry(qTable, nibble(u2, window)));
    if ((window & 1) == 0) add(acc, acc, entry(gTable, byteAt(u1, window >> 1)));
  }
  return acc;
}

/** Whether the affine x of a finite point, reduced mod n, equals r (0 < r < n). x = X/Z² needs no inversion:
 *  x mod n = r exactly when X = r·Z² or, if r + n < p, X = (r + n)·Z² (x < p < 2n). */
function affineXModOrderIs(pt: Point, r: Fe): bool {
  const zz = r0, candidate = r1, rPlusN = r2;
  feSqr(zz, pz(pt));
  feMul(candidate, r, zz);
  if (feEquals(candidate, px(pt))) return true;
  feCombine(rPlusN, r, 1, n, 1); // (r + n) mod p: below n exactly when r + n >= p wrapped
  if (feCompare(rPlusN, n) < 0) return false;
  feMul(candidate, rPlusN, zz);
  return feEquals(candidate, px(pt));
}
