// JWS compact serialization (RFC 7515 §7.1) and its signature check against a key set: the first five of the
// JWT checks (jwt.ts lists them all with their reason codes). The payload is returned as bytes; what it must
// be (a JWT claims set) is the caller's business.
import { base64urlDecodeRange } from "./bytes";
import { JsonValue, parseJson } from "./json";
import { PublicJwk, VERIFIABLE_ALGORITHMS } from "./jwk";
import { KeySet } from "./jwks";
import { SignatureVerifier } from "./signature";
import { utf8Decode, utf8Encode } from "./utf8";

export const MAX_JWS_BYTES: i32 = 16384;
export const MAX_JWS_HEADER_BYTES: i32 = 2048;

export class JwsParts {
  header: JsonValue = JsonValue.object();
  alg: string = "";
  kid: string = "";
  hasKid: bool = false;
  payload: Uint8Array = new Uint8Array(0);
  signature: Uint8Array = new Uint8Array(0);
  /** ASCII bytes of `header.payload`, what the signature covers. */
  signingInput: Uint8Array = new Uint8Array(0);
}

/** Compact JWS → its parts, or null when malformed: not exactly three parts (only the payload may be empty), a part that is not
 *  canonical base64url without padding, over MAX_JWS_BYTES (header over MAX_JWS_HEADER_BYTES decoded), a header
 *  that is not a UTF-8 JSON object without repeated members, a `crit` header (no extension is understood), or
 *  `alg`/`kid` that are not strings. */
export function parseJws(token: string): JwsParts | null {
  if (token.length > MAX_JWS_BYTES) return null;
  const dot1 = token.indexOf(".");
  const dot2 = dot1 < 0 ? -1 : token.indexOf(".", dot1 + 1);
  if (dot1 <= 0 || dot2 < 0 || dot2 == token.length - 1 || token.indexOf(".", dot2 + 1) >= 0) return null;
  if (dot1 > (MAX_JWS_HEADER_BYTES * 4 + 2) / 3) return null;
  const headerBytes = base64urlDecodeRange(token, 0, dot1);
  const payload = base64urlDecodeRange(token, dot1 + 1, dot2);
  const signature = base64urlDecodeRange(token, dot2 + 1, token.length);
  if (headerBytes == null || payload == null || signature == null) return null;
  const header = jsonObjectOf(headerBytes);
  if (header == null || header.has("crit")) return null;
  const alg = header.get("alg");
  const kid = header.get("kid");
  if (alg == null || !alg.isString() || (kid != null && !kid.isString())) return null;
  const parts = new JwsParts();
  parts.header = header;
  parts.alg = alg.str;
  parts.hasKid = kid != null;
  parts.kid = kid != null ? kid.str : "";
  parts.payload = payload;
  parts.signature = signature;
  const signingInput = new Uint8Array(dot2);
  for (let i = 0; i < dot2; i++) signingInput[i] = u8(token.charCodeAt(i)); // base64url text: one byte per character
  parts.signingInput = signingInput;
  return parts;
}

/** Whether an algorithm may ever be allowed: only those the core verifies; never `none` or HS*. */
export function isAllowableAlgorithm(alg: string): bool {
  return VERIFIABLE_ALGORITHMS.includes(alg);
}

/** Checks 2–5 on parsed parts: "" when the signature verifies under the one key the header selects, else the
 *  reason (alg_not_allowed, unknown_kid, missing_kid, ambiguous_kid, key_mismatch, bad_signature). */
export function checkJwsSignature(parts: JwsParts, keys: KeySet, algorithms: Array<string>, verifier: SignatureVerifier): string {
  const alg = parts.alg;
  if (!isAllowableAlgorithm(alg) || !algorithms.includes(alg)) return "alg_not_allowed";
  let key: PublicJwk | null = null;
  let fitting = 0;
  if (parts.hasKid) {
    let withKid = 0;
    for (let i = 0; i < keys.keys.length; i++) {
      const candidate = keys.keys[i];
      if (!candidate.hasKid || candidate.kid != parts.kid) continue;
      withKid++;
      if (candidate.fits(alg)) { fitting++; key = candidate; }
    }
    if (withKid == 0) return "unknown_kid";
    if (fitting == 0) return "key_mismatch";
    if (fitting > 1) return "ambiguous_kid";
  } else {
    for (let i = 0; i < keys.keys.length; i++) {
      if (keys.keys[i].fits(alg)) { fitting++; key = keys.keys[i]; }
    }
    if (fitting != 1) return "missing_kid";
  }
  return verifier.verify(alg, key!, parts.signingInput, parts.signature) ? "" : "bad_signature";
}

/** Bytes → a JSON object, or null unless they are well-formed UTF-8 holding an object with no repeated member
 *  (a repeated `alg` or `exp` would let two readers of one token disagree). */
export function jsonObjectOf(bytes: Uint8Array): JsonValue | null {
  const text = utf8Decode(bytes);
  const reencoded = utf8Encode(text); // the decoder replaces bad sequences: a round trip shows them
  if (reencoded.length != bytes.length) return null;
  for (let i = 0; i < bytes.length; i++) if (reencoded[i] != bytes[i]) return null;
  const parsed = parseJson(text);
  if (!parsed.ok() || !parsed.value!.isObject()) return null;
  const value = parsed.value!;
  for (let i = 1; i < value.keys.length; i++) {
    for (let j = 0; j < i; j++) if (value.keys[i] == value.keys[j]) return null;
  }
  return value;
}
