// Wycheproof (C2SP/wycheproof test vectors, read from ../shared/wycheproof — never copied into the project) on
// the signature verifiers meshgate ships: the portable core compiled by tsc (Node build) and by asc (wasm), the
// Envoy plane's own verifier (64-bit ES256, the portable code for RSA; the core's kinds on it in
// build/core/core-u64.wasm), and the Kong plane's node:crypto port. Every "valid" must verify, every
// "invalid" must not, and every "acceptable" must get the decision shared/DECISIONS.md records for it.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { NodeSignatureVerifier } from "../../kong-plugins/src/node-signature";
import { fromHex } from "../../shared/src/bytes";
import { parseJson } from "../../shared/src/json";
import { parsePublicJwk } from "../../shared/src/jwk";
import { KeySet, parseKeySet } from "../../shared/src/jwks";
import { checkJwsSignature, parseJws } from "../../shared/src/jws";

const root = join(import.meta.dirname, "../..");
const wycheproofDir = join(root, "../shared/wycheproof");
const available = existsSync(wycheproofDir);
if (!available && process.env.CI === "true") throw new Error(`Wycheproof vectors missing at ${wycheproofDir}: required under CI=true`);
const missingReason = `Wycheproof vectors not found at ${wycheproofDir} (a checkout of C2SP/wycheproof testvectors_v1)`;

interface Test { tcId: number; msg: string; sig: string; result: "valid" | "invalid" | "acceptable"; flags: string[]; comment: string }
interface Group { publicKey: { type?: string; wx?: string; wy?: string; modulus?: string; publicExponent?: string }; tests: Test[] }

/** Acceptable cases and the decision for each flag (shared/DECISIONS.md, "Signature verification"). */
const ACCEPTABLE: Record<string, boolean> = {
  MissingNull: false, // RS256: DigestInfo without the NULL parameters — refused, the encoding is compared whole
};

const SUITES: Array<{ file: string; alg: string }> = [
  { file: "ecdsa_secp256r1_sha256_p1363_test.json", alg: "ES256" },
  { file: "rsa_signature_2048_sha256_test.json", alg: "RS256" },
  { file: "rsa_signature_3072_sha256_test.json", alg: "RS256" },
  { file: "rsa_signature_4096_sha256_test.json", alg: "RS256" },
  { file: "rsa_pss_2048_sha256_mgf1_32_test.json", alg: "PS256" },
];

const b64url = (hex: string): string => Buffer.from(hex, "hex").toString("base64url");

/** The group's key as a JWK: coordinates as the full 32 bytes (Wycheproof's hex may carry a sign byte). */
function jwkOf(group: Group): Record<string, string> {
  const key = group.publicKey;
  if (key.type === "EcPublicKey") {
    const coordinate = (hex: string): string => b64url(BigInt("0x" + hex).toString(16).padStart(64, "0"));
    return { kty: "EC", crv: "P-256", x: coordinate(key.wx!), y: coordinate(key.wy!) };
  }
  return { kty: "RSA", n: b64url(key.modulus!), e: b64url(key.publicExponent!) };
}

function expected(test: Test): boolean {
  if (test.result === "valid") return true;
  if (test.result === "invalid") return false;
  const decided = test.flags.filter((flag) => flag in ACCEPTABLE);
  if (decided.length === 0) throw new Error(`tcId ${test.tcId}: acceptable with flags ${test.flags.join(",")} has no recorded decision`);
  return decided.every((flag) => ACCEPTABLE[flag]);
}

interface CoreBuild { runVector(kind: string, input: string): string }
type Verifier = (alg: string, jwk: Record<string, string>, cases: Test[]) => boolean[];

function viaBuild(build: CoreBuild): Verifier {
  return (alg, jwk, cases) => {
    const out = JSON.parse(build.runVector("signature.verify", JSON.stringify({ alg, jwk, cases: cases.map((t) => ({ msg: t.msg, sig: t.sig })) })));
    if (!Array.isArray(out.valid)) throw new Error(`key refused: ${JSON.stringify(out)}`);
    return out.valid;
  };
}

const nodeCrypto: Verifier = (alg, jwk, cases) => {
  const key = parsePublicJwk(parseJson(JSON.stringify(jwk)).value!).key;
  if (key === null) throw new Error("key refused by the core's JWK parser");
  const verifier = new NodeSignatureVerifier();
  return cases.map((t) => verifier.verify(alg, key, fromHex(t.msg)!, fromHex(t.sig)!));
};

const builds: Record<string, CoreBuild> = {};
beforeAll(async () => {
  if (!available) return;
  execFileSync(process.execPath, [join(root, "scripts/build.mjs"), "core"], { cwd: root, stdio: "pipe" });
  builds.tsc = await import(join(root, "build/core/core.node.mjs"));
  builds.asc = await import(join(root, "build/core/core.js"));
  builds.u64 = await import(join(root, "build/core/core-u64.js"));
}, 180_000);

describe.skipIf(!available)(available ? "Wycheproof signature suites" : `Wycheproof signature suites: ${missingReason}`, () => {
  const verifiers: Array<[string, () => Verifier]> = [
    ["tsc build", () => viaBuild(builds.tsc)],
    ["asc (wasm) build", () => viaBuild(builds.asc)],
    ["Envoy filter's u64 verifier", () => viaBuild(builds.u64)],
    ["node:crypto port", () => nodeCrypto],
  ];
  for (const { file, alg } of SUITES) {
    for (const [name, verifier] of verifiers) {
      it(`${file} on the ${name}: every valid accepted, every invalid refused, acceptable as decided`, () => {
        const suite = JSON.parse(readFileSync(join(wycheproofDir, file), "utf8")) as { testGroups: Group[] };
        const counts = { valid: 0, invalid: 0, acceptable: 0 };
        const wrong: string[] = [];
        for (const group of suite.testGroups) {
          const results = verifier()(alg, jwkOf(group), group.tests);
          group.tests.forEach((test, i) => {
            counts[test.result]++;
            if (results[i] !== expected(test)) wrong.push(`tcId ${test.tcId} (${test.result}, ${test.comment}): got ${results[i]}`);
          });
        }
        console.log(`wycheproof ${file} [${name}]: ${counts.valid} valid, ${counts.invalid} invalid, ${counts.acceptable} acceptable — ${wrong.length} wrong`);
        expect(wrong).toEqual([]);
        expect(counts.valid + counts.invalid + counts.acceptable).toBeGreaterThan(100);
      }, 300_000);
    }
  }
});

/** The JWS and JWK suites at the level they apply to: compact JWS parsing, key-set parsing, key selection and
 *  the signature. Cases for algorithms meshgate does not offer (HS*, RS384/512, PS384/512, ES512) and for
 *  symmetric keys must be refused (counted as "not offered"); every other case must get Wycheproof's answer. */
const JWS_SUITES = ["json_web_signature_test.json", "json_web_key_test.json"];
/** Known deviations, each recorded in shared/DECISIONS.md: the test fails if one disappears or another appears. */
const JWS_DEVIATIONS: Record<string, string> = {
  "json_web_key_test.json:7": "ROCA-fingerprinted RSA key (CVE-2017-15361) is not detected: accepted",
};
const OFFERED = ["ES256", "RS256", "PS256"];

interface JwsGroup { public?: Record<string, unknown>; private?: Record<string, unknown>; tests: Array<{ tcId: number; jws: string; result: string; comment: string }> }

function headerAlg(jws: string): string {
  try { return String(JSON.parse(Buffer.from(jws.split(".")[0], "base64url").toString("utf8")).alg); } catch { return ""; }
}

function keySetOf(group: JwsGroup): { keys: unknown[] } {
  const key = group.public ?? group.private ?? {};
  return Array.isArray(key.keys) ? { keys: key.keys } : { keys: [key] };
}

type JwsVerifier = (token: string, jwks: { keys: unknown[] }) => { ok: boolean; reason: string };

const nodeJws: JwsVerifier = (token, jwks) => {
  const set = parseKeySet(JSON.stringify(jwks)).keySet ?? new KeySet();
  const parts = parseJws(token);
  const reason = parts === null ? "malformed" : checkJwsSignature(parts, set, OFFERED, new NodeSignatureVerifier());
  return { ok: reason === "", reason };
};

describe.skipIf(!available)(available ? "Wycheproof JWS and JWK suites" : `Wycheproof JWS and JWK suites: ${missingReason}`, () => {
  const verifiers: Array<[string, () => JwsVerifier]> = [
    ["tsc build", () => (token, jwks) => JSON.parse(builds.tsc.runVector("jws.verify", JSON.stringify({ token, jwks, algorithms: OFFERED })))],
    ["asc (wasm) build", () => (token, jwks) => JSON.parse(builds.asc.runVector("jws.verify", JSON.stringify({ token, jwks, algorithms: OFFERED })))],
    ["Envoy filter's u64 verifier", () => (token, jwks) => JSON.parse(builds.u64.runVector("jws.verify", JSON.stringify({ token, jwks, algorithms: OFFERED })))],
    ["node:crypto port", () => nodeJws],
  ];
  for (const file of JWS_SUITES) {
    for (const [name, verifier] of verifiers) {
      it(`${file} on the ${name}: offered algorithms as Wycheproof says, the rest refused`, () => {
        const suite = JSON.parse(readFileSync(join(wycheproofDir, file), "utf8")) as { testGroups: JwsGroup[] };
        const counts = { validAccepted: 0, invalidRefused: 0, notOfferedRefused: 0 };
        const wrong: string[] = [];
        const deviations: string[] = [];
        for (const group of suite.testGroups) {
          const jwks = keySetOf(group);
          const symmetric = jwks.keys.some((k) => (k as { kty?: string }).kty === "oct");
          for (const test of group.tests) {
            const verdict = verifier()(test.jws, jwks);
            const offered = OFFERED.includes(headerAlg(test.jws)) && !symmetric;
            if (`${file}:${test.tcId}` in JWS_DEVIATIONS) { deviations.push(`${file}:${test.tcId}`); if (!verdict.ok) wrong.push(`tcId ${test.tcId}: recorded deviation no longer happens`); continue; }
            if (!offered || test.result === "invalid") {
              if (verdict.ok) wrong.push(`tcId ${test.tcId} (${test.result}, ${test.comment}): accepted`);
              else if (offered) counts.invalidRefused++;
              else counts.notOfferedRefused++;
            } else if (verdict.ok) counts.validAccepted++;
            else wrong.push(`tcId ${test.tcId} (${test.result}, ${test.comment}): refused (${verdict.reason})`);
          }
        }
        console.log(`wycheproof ${file} [${name}]: ${counts.validAccepted} valid accepted, ${counts.invalidRefused} invalid refused, ` +
          `${counts.notOfferedRefused} not offered and refused, ${deviations.length} recorded deviations — ${wrong.length} wrong`);
        expect(wrong).toEqual([]);
        expect(deviations).toEqual(Object.keys(JWS_DEVIATIONS).filter((id) => id.startsWith(`${file}:`)));
        expect(counts.validAccepted).toBeGreaterThan(0);
      }, 120_000);
    }
  }
});
