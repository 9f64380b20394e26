// The Envoy plane's own signature verifier (envoy-wasm/assembly/filter/signature-u64.ts: ES256 on 64-bit
// integers, RSA on the portable code), through the core's conformance kinds compiled onto it
// (build/core/core-u64.wasm): the JWT-level vectors every build must pass, and a seeded ES256 differential
// against node:crypto on more keys than the shared differential test uses. The Wycheproof suites run on it in
// test/core/signature-conformance.test.ts.
import { execFileSync } from "node:child_process";
import { createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "../..");
const SEED = Number(process.env.DIFFERENTIAL_SEED ?? 20261203);
const P256_N = BigInt("0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551");

interface CoreBuild { runVector(kind: string, input: string): string }
interface Vector { name: string; kind: string; input: unknown; expected: unknown }

let u64: CoreBuild;
const keys: Array<{ privateKey: KeyObject; jwk: Record<string, string> }> = [];

beforeAll(async () => {
  execFileSync(process.execPath, [join(root, "scripts/build.mjs"), "core"], { cwd: root, stdio: "pipe" });
  u64 = await import(join(root, "build/core/core-u64.js"));
  for (let i = 0; i < 8; i++) {
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const { kty, crv, x, y } = publicKey.export({ format: "jwk" });
    keys.push({ privateKey, jwk: { kty: kty!, crv: crv!, x: x!, y: y! } });
  }
}, 180_000);

describe("the Envoy filter's u64 signature verifier", () => {
  it("passes every JWK, JWK Set and JWT vector of shared/vectors/jwt.json", () => {
    const vectors = JSON.parse(readFileSync(join(root, "shared/vectors/jwt.json"), "utf8")) as Vector[];
    const wrong: string[] = [];
    let es256 = 0;
    for (const v of vectors) {
      const got = JSON.parse(u64.runVector(v.kind, JSON.stringify(v.input)));
      if (!isDeepStrictEqual(got, v.expected)) wrong.push(`${v.name}: expected ${JSON.stringify(v.expected)}, got ${JSON.stringify(got)}`);
      if (v.kind === "jwt.verify" && (v.expected as { kid?: string }).kid?.startsWith("ec")) es256++;
    }
    expect(wrong).toEqual([]);
    expect(vectors.length).toBeGreaterThan(50);
    expect(es256).toBeGreaterThan(0);
  });

  it(`agrees with node:crypto on ES256 over generated keys, messages and mutated signatures (seed ${SEED})`, () => {
    const answers = { accepted: 0, refused: 0 };
    const MUTATIONS = ["none", "high-s", "flip-bit", "swap-r-s", "other-key", "r-plus-one", "s-is-r"] as const;
    fc.assert(fc.property(
      fc.nat({ max: keys.length - 1 }), fc.uint8Array({ maxLength: 200 }), fc.constantFrom(...MUTATIONS), fc.nat(),
      (index, message, mutation, position) => {
        const key = keys[index];
        let signature: Buffer = sign("sha256", message, { key: key.privateKey, dsaEncoding: "ieee-p1363" });
        let jwk = key.jwk;
        const scalar = (bytes: Buffer): bigint => BigInt("0x" + bytes.toString("hex"));
        const bytesOf = (value: bigint): Buffer => Buffer.from(value.toString(16).padStart(64, "0"), "hex");
        switch (mutation) {
          case "none": break;
          case "high-s": signature = Buffer.concat([signature.subarray(0, 32), bytesOf(P256_N - scalar(signature.subarray(32)))]); break;
          case "flip-bit": signature = Buffer.from(signature); signature[position % 64] ^= 1 << (position % 8); break;
          case "swap-r-s": signature = Buffer.concat([signature.subarray(32), signature.subarray(0, 32)]); break;
          case "other-key": jwk = keys[(index + 1) % keys.length].jwk; break;
          case "r-plus-one": signature = Buffer.concat([bytesOf((scalar(signature.subarray(0, 32)) + 1n) % P256_N), signature.subarray(32)]); break;
          case "s-is-r": signature = Buffer.concat([signature.subarray(0, 32), signature.subarray(0, 32)]); break;
        }
        let expected: boolean;
        try {
          expected = verify("sha256", message, { key: createPublicKey({ key: jwk, format: "jwk" }), dsaEncoding: "ieee-p1363" }, signature);
        } catch {
          expected = false;
        }
        const out = JSON.parse(u64.runVector("signature.verify", JSON.stringify({ alg: "ES256", jwk,
          cases: [{ msg: Buffer.from(message).toString("hex"), sig: signature.toString("hex") }] })));
        if (out.valid?.[0] !== expected) throw new Error(`u64 verifier says ${JSON.stringify(out)}, node:crypto ${expected}: ${mutation}`);
        if (expected) answers.accepted++;
        else answers.refused++;
      }), { seed: SEED, numRuns: 400 });
    console.log(`u64 ES256 differential: ${answers.accepted} accepted, ${answers.refused} refused — all agree with node:crypto`);
    expect(answers.accepted).toBeGreaterThan(50);
    expect(answers.refused).toBeGreaterThan(50);
  }, 300_000);
});
