// ECDSA verification (FIPS 186-4 §6.4.2, SEC 1 §4.1.4) on P-256 with the signature as JWS carries it
// (RFC 7518 §3.4): r‖s, 32 big-endian bytes each — no DER, so no DER leniency to get wrong.
import { compareLimbs, invertModOdd, isZeroLimbs, limbsFromBytes, reduceOnce } from "./bigint";
import { JacobianPoint, p256 } from "./p256";

/** True when `signature` (64 bytes r‖s) is a valid signature of the SHA-256 digest `hash` under the public point. */
export function verifyEcdsaP256(publicKey: JacobianPoint, hash: Uint8Array, signature: Uint8Array): bool {
  if (signature.length != 64 || hash.length != 32) return false;
  const curve = p256();
  const r = limbsFromBytes(signature.subarray(0, 32), 16)!;
  const s = limbsFromBytes(signature.subarray(32, 64), 16)!;
  if (isZeroLimbs(r) || isZeroLimbs(s) || compareLimbs(r, curve.n) >= 0 || compareLimbs(s, curve.n) >= 0) return false;
  // The digest is as long as the order (256 bits), so no truncation: e = hash mod n, one subtraction at most.
  const e = reduceOnce(limbsFromBytes(hash, 16)!, curve.n);
  const order = curve.order;
  const w = order.toMont(invertModOdd(s, curve.n)); // n is prime and 0 < s < n: s is invertible
  const u1 = order.mul(e, w); // plain × Montgomery → plain
  const u2 = order.mul(r, w);
  const point = curve.mulAddGenerator(u1, u2, publicKey);
  return !point.isInfinity() && curve.affineXModOrderIs(point, r);
}
