#!/usr/bin/env node
// `npm run bench:jwt`: µs per signature verification (a decision-cache miss) for each algorithm the core offers,
// on the core's Node build (tsc), its wasm build (asc, the portable verifier), the Envoy filter's own verifier
// (64-bit ES256, the portable code for RSA; build/core/core-u64.wasm) and node:crypto (what the Kong plane runs),
// in one run on this machine, with each build's ratio to node:crypto — the figure to compare across
// runs and machines, since a busy machine slows all three about alike. Also the cost of parsing a key (paid once
// per key-set refresh). The first, untimed call builds what an instance builds once (the P-256 generator table).
// See shared/DECISIONS.md §11.7 for the algorithms. A figure, not a test: nothing here asserts time.
import { constants, generateKeyPairSync, sign, verify } from "node:crypto";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const builds = {
  tsc: await import(join(root, "build/core/core.node.mjs")),
  wasm: await import(join(root, "build/core/core.js")),
  filter: await import(join(root, "build/core/core-u64.js")),
};
const message = Buffer.from("eyJhbGciOiJFUzI1NiIsImtpZCI6ImsxIn0." + "eyJzdWIiOiJhbGljZSJ9".repeat(12));
const publicJwk = (key) => { const { kty, crv, x, y, n, e } = key.export({ format: "jwk" }); return JSON.parse(JSON.stringify({ kty, crv, x, y, n, e })); };

const cases = [];
{
  const { publicKey, privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  cases.push({ name: "ES256 (P-256)", alg: "ES256", publicKey, signature: sign("sha256", message, { key: privateKey, dsaEncoding: "ieee-p1363" }),
    native: (sig) => verify("sha256", message, { key: publicKey, dsaEncoding: "ieee-p1363" }, sig) });
}
for (const bits of [2048, 3072, 4096]) {
  const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: bits });
  cases.push({ name: `RS256 (RSA ${bits})`, alg: "RS256", publicKey, signature: sign("sha256", message, privateKey),
    native: (sig) => verify("sha256", message, publicKey, sig) });
  if (bits === 2048) {
    const pss = { key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 };
    cases.push({ name: "PS256 (RSA 2048)", alg: "PS256", publicKey, signature: sign("sha256", message, pss),
      native: (sig) => verify("sha256", message, { key: publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, sig) });
  }
}

/** Best of 5 rounds, µs of wall time per call (the process's CPU-time counters are too coarse here to time a
 *  round of milliseconds); `run(n)` does n calls and returns how many verified (all must). */
function usPer(run, n) {
  if (run(1) !== 1) throw new Error("the benchmark signature does not verify");
  let best = Infinity;
  for (let round = 0; round < 5; round++) {
    const started = process.hrtime.bigint();
    const ok = run(n);
    const us = Number(process.hrtime.bigint() - started) / 1000 / n;
    if (ok !== n) throw new Error("a verification failed during the benchmark");
    best = Math.min(best, us);
  }
  return best;
}

const ratio = (r) => `${r >= 20 ? r.toFixed(0) : r.toFixed(1)}×`.padStart(9);
const fmt = (us) => (us >= 100 ? us.toFixed(0) : us.toFixed(1)).padStart(10);
console.log(`signature verification benchmark (Node ${process.version}; best of 5 rounds; µs per verify)`);
console.log(`${"algorithm".padEnd(20)} ${"node:crypto".padStart(11)} ${"tsc".padStart(10)} ${"wasm".padStart(10)} ${"filter".padStart(10)} ${"tsc/node".padStart(9)} ${"wasm/node".padStart(9)} ${"filter/node".padStart(11)} ${"key parse tsc".padStart(14)} ${"key parse wasm".padStart(15)}`);
for (const c of cases) {
  const jwk = JSON.stringify(publicJwk(c.publicKey));
  const msgHex = message.toString("hex");
  const sigHex = c.signature.toString("hex");
  const n = c.alg === "ES256" ? 20 : 10;
  const native = usPer((k) => { let ok = 0; for (let i = 0; i < k; i++) if (c.native(c.signature)) ok++; return ok; }, 200);
  const tsc = usPer((k) => builds.tsc.benchVerify(c.alg, jwk, msgHex, sigHex, k), n);
  const wasm = usPer((k) => builds.wasm.benchVerify(c.alg, jwk, msgHex, sigHex, k), n);
  const filter = usPer((k) => builds.filter.benchVerify(c.alg, jwk, msgHex, sigHex, k), n);
  const parseTsc = usPer((k) => builds.tsc.benchParseJwk(jwk, k), 5);
  const parseWasm = usPer((k) => builds.wasm.benchParseJwk(jwk, k), 5);
  console.log(`${c.name.padEnd(20)} ${fmt(native).padStart(11)} ${fmt(tsc)} ${fmt(wasm)} ${fmt(filter)} ${ratio(tsc / native)} ${ratio(wasm / native)} ${ratio(filter / native).padStart(11)} ${fmt(parseTsc).padStart(14)} ${fmt(parseWasm).padStart(15)}`);
}
