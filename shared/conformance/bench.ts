// Hot-path operations of the core, looped inside each build so the Node and wasm builds are timed on
// the same code (bench/core.mjs times the calls). Each returns a checksum so no work can be elided.
import { interpretAuthResponse } from "../src/auth";
import { authFingerprint, decisionCacheKey } from "../src/cache-key";
import { decideCanary } from "../src/canary";
import { gcraParams, gcraStep } from "../src/gcra";
import { Header } from "../src/headers";
import { Policy } from "../src/policy";
import { parsePolicy } from "../src/policy-parse";
import { fromHex } from "../src/bytes";
import { parseJson } from "../src/json";
import { parsePublicJwk } from "../src/jwk";
import { signatureVerifier } from "./verifier";

function examplePolicy(text: string): Policy {
  const parsed = parsePolicy(text);
  return parsed.policy != null ? parsed.policy! : new Policy();
}

export function benchCacheKey(policyText: string, token: string, iterations: i32): i32 {
  const policy = examplePolicy(policyText);
  const fingerprint = authFingerprint(policy.auth);
  const headers = new Array<Header>();
  let checksum: i32 = 0;
  for (let i = 0; i < iterations; i++) checksum += decisionCacheKey(fingerprint, policy.auth, token, headers, "GET", "/").charCodeAt(i & 63);
  return checksum;
}

export function benchInterpret(policyText: string, body: string, iterations: i32): i32 {
  const policy = examplePolicy(policyText);
  const headers = new Array<Header>();
  headers.push(new Header("content-type", "application/json"));
  headers.push(new Header("cache-control", "max-age=60"));
  let checksum: i32 = 0;
  for (let i = 0; i < iterations; i++) checksum += interpretAuthResponse(policy.auth, 200, headers, body, 1767225600000).upstreamHeaders.length;
  return checksum;
}

export function benchCanary(policyText: string, iterations: i32): i32 {
  const policy = examplePolicy(policyText);
  const groups = new Array<string>();
  groups.push("staff");
  let checksum: i32 = 0;
  for (let i = 0; i < iterations; i++) checksum += decideCanary(policy.canary, "user-" + (i & 1023).toString(), groups, false, "", "").bucket;
  return checksum;
}

export function benchGcra(policyText: string, iterations: i32): i32 {
  const params = gcraParams(examplePolicy(policyText).rateLimit);
  let tat: f64 = 0;
  let checksum: i32 = 0;
  for (let i = 0; i < iterations; i++) {
    const result = gcraStep(params, tat, 1767225600000 + f64(i));
    if (result.allowed) tat = result.newTatUs;
    checksum += result.remaining;
  }
  return checksum;
}

export function benchValidate(policyText: string, iterations: i32): i32 {
  let checksum: i32 = 0;
  for (let i = 0; i < iterations; i++) checksum += parsePolicy(policyText).errors.length + 1;
  return checksum;
}

/** Parses `jwkJson` once, then verifies `signature` over `message` (hex) `iterations` times (a cache miss each:
 *  the decision cache sits above this). Returns the number of successful verifications. */
export function benchVerify(alg: string, jwkJson: string, messageHex: string, signatureHex: string, iterations: i32): i32 {
  const jwk = parseJson(jwkJson);
  if (!jwk.ok()) return -1;
  const key = parsePublicJwk(jwk.value!);
  const message = fromHex(messageHex);
  const signature = fromHex(signatureHex);
  if (key.key == null || message == null || signature == null) return -1;
  const verifier = signatureVerifier();
  let valid: i32 = 0;
  for (let i = 0; i < iterations; i++) if (verifier.verify(alg, key.key!, message, signature)) valid++;
  return valid;
}

/** Parses the JWK `iterations` times (the key-set refresh cost per key). Returns the number accepted. */
export function benchParseJwk(jwkJson: string, iterations: i32): i32 {
  const jwk = parseJson(jwkJson);
  if (!jwk.ok()) return -1;
  let accepted: i32 = 0;
  for (let i = 0; i < iterations; i++) if (parsePublicJwk(jwk.value!).key != null) accepted++;
  return accepted;
}
