// The conformance kinds (shared/conformance/entry.ts) with the Envoy plane's U64SignatureVerifier in place of the
// portable one, so the signature, JWS and JWT suites and bench:jwt run on the verifier the filter uses. asc only
// (the verifier uses 64-bit integers and raw memory); `node scripts/build.mjs core` compiles it to
// build/core/core-u64.wasm beside the core's own builds.
import { useSignatureVerifier } from "../../shared/conformance/verifier";
import { fromHex } from "../../shared/src/bytes";
import { Fe, fe, feCombine, feMul, feSetBytes, feSqr } from "../assembly/filter/p256-u64-field";
import { U1, U2, ecdsaScalars, wordsFromBytes } from "../assembly/filter/p256-u64-scalar";
import { U64SignatureVerifier } from "../assembly/filter/signature-u64";

useSignatureVerifier(new U64SignatureVerifier());

export { runVector, benchVerify } from "../../shared/conformance/entry";

// The field and scalar arithmetic on their own, for test/envoy-wasm/p256-u64-field.test.ts to check against
// BigInt on the edge values (carries, the final subtraction of p) that whole signatures seldom reach. Values are
// 64 big-endian hex digits.
const A: Fe = fe();
const B: Fe = fe();
const OUT: Fe = fe();
const E_IN = memory.data(32, 16);
const R_IN = memory.data(32, 16);
const S_IN = memory.data(32, 16);

function wordsHex(words: usize, stride: usize): string {
  let hex = "";
  for (let i = 7; i >= 0; i--) {
    const word = stride == 8 ? u32(load<u64>(words + <usize>i * 8)) : load<u32>(words + <usize>i * 4);
    hex += word.toString(16).padStart(8, "0");
  }
  return hex;
}

/** op 0: a·b, 1: a², 2: ka·a + kb·b, all mod p. */
export function fieldOp(op: i32, aHex: string, bHex: string, ka: i32, kb: i32): string {
  feSetBytes(A, fromHex(aHex)!);
  feSetBytes(B, fromHex(bHex)!);
  if (op == 0) feMul(OUT, A, B);
  else if (op == 1) feSqr(OUT, A);
  else feCombine(OUT, A, i64(ka), B, i64(kb));
  return wordsHex(OUT, 8);
}

/** u1 ‖ u2 = e·s⁻¹ ‖ r·s⁻¹ mod n (e, r, s below n, s nonzero). */
export function scalars(eHex: string, rHex: string, sHex: string): string {
  wordsFromBytes(E_IN, fromHex(eHex)!);
  wordsFromBytes(R_IN, fromHex(rHex)!);
  wordsFromBytes(S_IN, fromHex(sHex)!);
  ecdsaScalars(E_IN, R_IN, S_IN);
  return wordsHex(U1, 4) + wordsHex(U2, 4);
}
