// Seeded differential test: the portable verifier on both builds (tsc, asc/wasm) and the Envoy plane's own
// (64-bit ES256; build/core/core-u64.wasm) against node:crypto as the oracle, on keys generated here, random
// messages and mutated signatures and keys. Every run must agree four ways; the run also checks it saw both
// answers (a test that only ever says "false" proves little).
import { execFileSync } from "node:child_process";
import { constants, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from "node:crypto";
import { join } from "node:path";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "../..");
const SEED = Number(process.env.DIFFERENTIAL_SEED ?? 20261203);
const P256_N = BigInt("0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551");

interface Pair { alg: "ES256" | "RS256" | "PS256"; privateKey: KeyObject; jwk: Record<string, string> }
interface CoreBuild { runVector(kind: string, input: string): string }

const MUTATIONS = ["none", "flip-signature-bit", "truncate-signature", "extend-signature", "random-signature", "other-message",
  "high-s", "swap-r-s", "zero-signature", "flip-key-bit"] as const;
type Mutation = (typeof MUTATIONS)[number];

let pairs: Pair[] = [];
const builds: Record<string, CoreBuild> = {};

beforeAll(async () => {
  execFileSync(process.execPath, [join(root, "scripts/build.mjs"), "core"], { cwd: root, stdio: "pipe" });
  builds.tsc = await import(join(root, "build/core/core.node.mjs"));
  builds.asc = await import(join(root, "build/core/core.js"));
  builds.u64 = await import(join(root, "build/core/core-u64.js"));
  const publicJwk = (key: KeyObject): Record<string, string> => {
    const { kty, crv, x, y, n, e } = key.export({ format: "jwk" });
    return JSON.parse(JSON.stringify({ kty, crv, x, y, n, e }));
  };
  const ec = () => generateKeyPairSync("ec", { namedCurve: "P-256" });
  const rsa = (bits: number) => generateKeyPairSync("rsa", { modulusLength: bits });
  pairs = [
    ...[ec(), ec(), ec()].map((p) => ({ alg: "ES256" as const, privateKey: p.privateKey, jwk: publicJwk(p.publicKey) })),
    ...[rsa(2048), rsa(3072)].map((p) => ({ alg: "RS256" as const, privateKey: p.privateKey, jwk: publicJwk(p.publicKey) })),
    ...[rsa(2048)].map((p) => ({ alg: "PS256" as const, privateKey: p.privateKey, jwk: publicJwk(p.publicKey) })),
  ];
}, 180_000);

function signWith(pair: Pair, message: Uint8Array): Buffer {
  if (pair.alg === "ES256") return sign("sha256", message, { key: pair.privateKey, dsaEncoding: "ieee-p1363" });
  if (pair.alg === "RS256") return sign("sha256", message, pair.privateKey);
  return sign("sha256", message, { key: pair.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
}

function oracle(alg: string, jwk: Record<string, string>, message: Uint8Array, signature: Uint8Array): boolean {
  try {
    const key = createPublicKey({ key: jwk, format: "jwk" });
    if (alg === "ES256") return signature.length === 64 && verify("sha256", message, { key, dsaEncoding: "ieee-p1363" }, signature);
    if (alg === "RS256") return verify("sha256", message, key, signature);
    return verify("sha256", message, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, signature);
  } catch {
    return false;
  }
}

function mutate(pair: Pair, message: Uint8Array, mutation: Mutation, position: number, noise: Uint8Array):
  { jwk: Record<string, string>; message: Uint8Array; signature: Uint8Array } {
  let signature: Uint8Array = signWith(pair, message);
  let jwk = pair.jwk;
  const at = position % signature.length;
  switch (mutation) {
    case "none": break;
    case "flip-signature-bit": signature = Uint8Array.from(signature); signature[at] ^= 1 << (position % 8); break;
    case "truncate-signature": signature = signature.subarray(0, at); break;
    case "extend-signature": signature = Buffer.concat([Buffer.from([0]), signature]); break;
    case "random-signature": signature = Buffer.concat([noise, Buffer.alloc(signature.length)]).subarray(0, signature.length); break;
    case "other-message": message = Buffer.concat([message, Buffer.from([position & 0xff])]); break;
    case "high-s": if (pair.alg === "ES256") {
      // ECDSA signatures are malleable: (r, n - s) verifies too. Both must accept it (JWS has no low-S rule).
      const s = BigInt("0x" + Buffer.from(signature.subarray(32)).toString("hex"));
      signature = Buffer.concat([signature.subarray(0, 32), Buffer.from((P256_N - s).toString(16).padStart(64, "0"), "hex")]);
    } break;
    case "swap-r-s": if (pair.alg === "ES256") signature = Buffer.concat([signature.subarray(32), signature.subarray(0, 32)]); break;
    case "zero-signature": signature = new Uint8Array(signature.length); break;
    case "flip-key-bit": {
      const member = pair.alg === "ES256" ? "x" : "n";
      const bytes = Buffer.from(jwk[member], "base64url");
      const i = 1 + (position % (bytes.length - 2)); // keep the top byte: the key size stays as it was
      bytes[i] ^= 1 << (position % 8);
      jwk = { ...jwk, [member]: bytes.toString("base64url") };
      break;
    }
  }
  return { jwk, message, signature };
}

describe("signature verification: both builds against node:crypto (seeded fast-check)", () => {
  it(`agrees on generated keys, messages and mutations (seed ${SEED})`, () => {
    const answers = { accepted: 0, refused: 0, keyRefused: 0 };
    fc.assert(fc.property(
      fc.nat({ max: 5 }), fc.uint8Array({ maxLength: 300 }), fc.constantFrom(...MUTATIONS), fc.nat(), fc.uint8Array({ minLength: 64, maxLength: 512 }),
      (index, message, mutation, position, noise) => {
        const pair = pairs[index];
        const input = mutate(pair, message, mutation, position, noise);
        const expected = oracle(pair.alg, input.jwk, input.message, input.signature);
        const vector = JSON.stringify({ alg: pair.alg, jwk: input.jwk, cases: [{ msg: Buffer.from(input.message).toString("hex"), sig: Buffer.from(input.signature).toString("hex") }] });
        for (const [name, build] of Object.entries(builds)) {
          const out = JSON.parse(build.runVector("signature.verify", vector));
          // A mutated key the core refuses (point off the curve, even modulus) verifies nothing; the oracle must agree.
          const got = out.keyError !== undefined ? false : out.valid[0];
          if (out.keyError !== undefined && name === "tsc") answers.keyRefused++;
          if (got !== expected) throw new Error(`${name} says ${got}, node:crypto ${expected}: ${pair.alg} ${mutation} ${JSON.stringify(out)}`);
        }
        if (expected) answers.accepted++;
        else answers.refused++;
      }), { seed: SEED, numRuns: 160 });
    console.log(`differential: ${answers.accepted} accepted, ${answers.refused} refused (${answers.keyRefused} keys refused by the core) — all agree`);
    expect(answers.accepted).toBeGreaterThan(10);
    expect(answers.refused).toBeGreaterThan(10);
  }, 600_000);
});
