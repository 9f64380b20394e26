#!/usr/bin/env node
// Writes shared/vectors/jwt-flow.json: `auth.mode: jwt` through the engine (kind `flow`: the Keys step, the refetch
// on an unknown kid, identity from claims, requirements, cache TTL capped by exp, no usable key set → the failure
// mode) and the JWKS refresh state machine (kind `jwks.refresh`). Each flow case states the steps, reason and
// status it must give; the script checks them on the Node build before it records the build's whole output (so
// both builds are then held to it). Keys are generated afresh on every run. Needs `node scripts/build.mjs core`.
// `node scripts/jwt-flow-vectors.mjs`
import { createHmac, generateKeyPairSync, sign } from "node:crypto";
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { isDeepStrictEqual } from "node:util";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const build = await import(join(root, "build/core/core.node.mjs"));
const NOW = 1767225600;
const NOW_MS = NOW * 1000;
const b64 = (data) => Buffer.from(data).toString("base64url");

const ec = generateKeyPairSync("ec", { namedCurve: "P-256" });
const ec2 = generateKeyPairSync("ec", { namedCurve: "P-256" });
const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
const pub = (pair) => { const { kty, crv, x, y, n, e } = pair.publicKey.export({ format: "jwk" }); return JSON.parse(JSON.stringify({ kty, crv, x, y, n, e })); };
const ecJwk = { ...pub(ec), kid: "ec-1", use: "sig", alg: "ES256" };
const ec2Jwk = { ...pub(ec2), kid: "ec-2", use: "sig", alg: "ES256" };
const rsaJwk = { ...pub(rsa), kid: "rsa-1", use: "sig" };
const jwks = JSON.stringify({ keys: [ecJwk, rsaJwk] });
const rotated = JSON.stringify({ keys: [ecJwk, ec2Jwk, rsaJwk] });

function jws(header, payload, privateKey, alg) {
  const input = `${b64(JSON.stringify(header))}.${b64(JSON.stringify(payload))}`;
  const sig = alg === "ES256" ? sign("sha256", Buffer.from(input), { key: privateKey, dsaEncoding: "ieee-p1363" }) : sign("sha256", Buffer.from(input), privateKey);
  return `${input}.${b64(sig)}`;
}
const claims = (extra = {}) => ({ sub: "alice", iss: "https://auth.example", aud: "meshgate", exp: NOW + 3600, iat: NOW - 10, groups: ["dev", "ops"], ...extra });
const es = (payload = claims(), kid = "ec-1") => jws({ alg: "ES256", kid, typ: "JWT" }, payload, kid === "ec-2" ? ec2.privateKey : ec.privateKey, "ES256");
const rs = (payload = claims()) => jws({ alg: "RS256", kid: "rsa-1" }, payload, rsa.privateKey, "RS256");

const auth = (extra = {}, jwt = {}) => ({
  auth: {
    mode: "jwt",
    jwt: {
      jwks: { url: "http://auth.internal:8080/.well-known/jwks.json", cluster: "outbound|8080||auth.internal", authority: "auth.internal:8080", path: "/.well-known/jwks.json" },
      issuers: ["https://auth.example"], audiences: ["meshgate"], ...jwt,
    },
    ...extra,
  },
});
const request = (token, path = "/orders") => ({ method: "GET", path, headers: token == null ? [] : [["authorization", `Bearer ${token}`]], clientIp: "203.0.113.7" });

const vectors = [];
const problems = [];
function flow(name, input, want) {
  const full = { now: NOW_MS, ...input };
  const out = JSON.parse(build.runVector("flow", JSON.stringify(full)));
  const got = { steps: out.steps, reason: out.reason, status: out.response ? out.response.status : null };
  for (const [k, v] of Object.entries(want)) if (!isDeepStrictEqual(got[k], v)) problems.push(`${name}: ${k} ${JSON.stringify(got[k])}, want ${JSON.stringify(v)}`);
  vectors.push({ name: `jwt flow ${name}`, kind: "flow", input: full, expected: out });
}
const verified = ["lookup_cache", "keys", "forward"];
const refused = ["lookup_cache", "keys", "reject"];

flow("good ES256 token: verified locally, identity from claims, cached until exp", { policy: auth(), request: request(es(claims({ exp: NOW + 30 }))), keys: jwks },
  { steps: verified, reason: "verified", status: null });
flow("good RS256 token", { policy: auth(), request: request(rs()), keys: jwks }, { steps: verified, reason: "verified", status: null });
const cachedToken = es();
const first = JSON.parse(build.runVector("flow", JSON.stringify({ now: NOW_MS, policy: auth(), request: request(cachedToken), keys: jwks })));
flow("fresh cache hit: no Keys step", { policy: auth(), request: request(cachedToken), cache: first.toCache, now: NOW_MS + 1000 },
  { steps: ["lookup_cache", "forward"], reason: "verified", status: null });
const [h, p, s] = es().split(".");
const tamperedPayload = `${h}.${b64(JSON.stringify(claims({ sub: "mallory" })))}.${s}`;
flow("tampered payload", { policy: auth(), request: request(tamperedPayload), keys: jwks }, { steps: refused, reason: "bad_signature", status: 401 });
const badSig = Buffer.from(s, "base64url"); badSig[5] ^= 1;
flow("tampered signature", { policy: auth(), request: request(`${h}.${p}.${b64(badSig)}`), keys: jwks }, { steps: refused, reason: "bad_signature", status: 401 });
flow("expired", { policy: auth(), request: request(es(claims({ exp: NOW - 61 }))), keys: jwks }, { steps: refused, reason: "expired", status: 401 });
flow("expired within the skew is accepted, not cached", { policy: auth(), request: request(es(claims({ exp: NOW - 30 }))), keys: jwks }, { steps: verified, reason: "verified" });
flow("nbf in the future", { policy: auth(), request: request(es(claims({ nbf: NOW + 120 }))), keys: jwks }, { steps: refused, reason: "not_yet_valid", status: 401 });
flow("wrong iss", { policy: auth(), request: request(es(claims({ iss: "https://evil.example" }))), keys: jwks }, { steps: refused, reason: "wrong_issuer", status: 401 });
flow("wrong aud", { policy: auth(), request: request(es(claims({ aud: "other" }))), keys: jwks }, { steps: refused, reason: "wrong_audience", status: 401 });
flow("alg none", { policy: auth(), request: request(`${b64('{"alg":"none","kid":"ec-1"}')}.${p}.${s}`), keys: jwks }, { steps: refused, reason: "alg_not_allowed", status: 401 });
const hsInput = `${b64(JSON.stringify({ alg: "HS256", kid: "rsa-1" }))}.${p}`;
const hs = `${hsInput}.${b64(createHmac("sha256", rsa.publicKey.export({ format: "pem", type: "spki" })).update(hsInput).digest())}`;
flow("HS256 signed with the public key as secret", { policy: auth(), request: request(hs), keys: jwks }, { steps: refused, reason: "alg_not_allowed", status: 401 });
flow("PS256 not in the allow list", { policy: auth({}, { algorithms: ["ES256"] }), request: request(rs()), keys: jwks }, { steps: refused, reason: "alg_not_allowed", status: 401 });
flow("unknown kid: asked again, refetched set has it", { policy: auth(), request: request(es(claims(), "ec-2")), keys: jwks, refetchedKeys: rotated },
  { steps: ["lookup_cache", "keys", "keys", "forward"], reason: "verified", status: null });
flow("unknown kid: asked again, still unknown → 401", { policy: auth(), request: request(es(claims(), "ec-2")), keys: jwks },
  { steps: ["lookup_cache", "keys", "keys", "reject"], reason: "unknown_kid", status: 401 });
flow("no usable key set → fail closed 503", { policy: auth(), request: request(es()), keys: null }, { steps: refused, reason: "jwks_unavailable", status: 503 });
flow("no usable key set → fail open with the degraded header", { policy: auth({ failure: { mode: "open" } }), request: request(es()), keys: null },
  { steps: ["lookup_cache", "keys", "forward"], reason: "jwks_unavailable", status: null });
flow("no usable key set, refetch after unknown kid fails too → failure mode", { policy: auth(), request: request(es(claims(), "ec-2")), keys: jwks, refetchedKeys: null },
  { steps: ["lookup_cache", "keys", "keys", "reject"], reason: "jwks_unavailable", status: 503 });
flow("no token → 401 without an error code", { policy: auth(), request: request(null), keys: jwks }, { steps: ["reject"], reason: "token_missing", status: 401 });
flow("custom subject and groups claims, mapped header", {
  policy: auth({ headerMappings: [{ from: "email", to: "x-auth-email" }] }, { claims: { subject: "uid", groups: "roles" } }),
  request: request(es(claims({ uid: "u-42", roles: "admin reader", email: "a@example.com" }))), keys: jwks,
}, { steps: verified, reason: "verified" });
flow("require scope met", { policy: { ...auth(), require: { scopes: ["orders:read"] } }, request: request(es(claims({ scope: "orders:read orders:write" }))), keys: jwks },
  { steps: verified, reason: "verified" });
flow("require scope unmet → 403 insufficient_scope", { policy: { ...auth(), require: { scopes: ["orders:write"] } }, request: request(es(claims({ scope: "orders:read" }))), keys: jwks },
  { steps: refused, reason: "require_scopes", status: 403 });
flow("control character in the subject → 401 bad_identity", { policy: auth(), request: request(es(claims({ sub: "al\nice" }))), keys: jwks },
  { steps: refused, reason: "bad_identity", status: 401 });
flow("shadow: a bad token is recorded, the request goes on anonymous", { policy: auth({ shadow: true }), request: request(es(claims({ iss: "x" }))), keys: jwks },
  { steps: verified, reason: "auth_shadow", status: null });

// The refresh state machine. Times in ms; settings in seconds.
const settings = { refreshSeconds: 300, minRefetchSeconds: 30, staleSeconds: 600 };
const refresh = (name, ops, results, s = settings) => vectors.push({ name: `jwks.refresh ${name}`, kind: "jwks.refresh", input: { settings: s, ops }, expected: { results } });
const T = NOW_MS;
refresh("first request fetches, others wait for it, then use the set", [
  { op: "usable", now: T }, { op: "plan", now: T }, { op: "begin", now: T }, { op: "plan", now: T + 1 }, { op: "fetched", now: T + 5, body: jwks },
  { op: "plan", now: T + 6 }, { op: "usable", now: T + 6 },
], [null, "fetch", null, "wait", "", "use", ["ec-1", "rsa-1"]]);
refresh("periodic refresh due after refreshSeconds, single flight", [
  { op: "begin", now: T }, { op: "fetched", now: T, body: jwks }, { op: "due", now: T + 299999 }, { op: "due", now: T + 300000 },
  { op: "begin", now: T + 300000 }, { op: "due", now: T + 300001 }, { op: "plan", now: T + 300001 },
], [null, "", false, true, null, false, "use"]);
refresh("unknown kid: one refetch per cooldown, others use the current set", [
  { op: "begin", now: T }, { op: "fetched", now: T, body: jwks }, { op: "plan", now: T + 1000, unknownKid: true },
  { op: "plan", now: T + 30000, unknownKid: true }, { op: "begin", now: T + 30000 }, { op: "plan", now: T + 30001, unknownKid: true },
  { op: "fetched", now: T + 30010, body: rotated }, { op: "plan", now: T + 30020, unknownKid: true }, { op: "plan", now: T + 59999, unknownKid: true },
  { op: "plan", now: T + 60000, unknownKid: true }, { op: "usable", now: T + 30020 },
], [null, "", "use", "fetch", null, "wait", "", "use", "use", "fetch", ["ec-1", "ec-2", "rsa-1"]]);
refresh("endpoint down: the last good set serves until refresh + stale, then none", [
  { op: "begin", now: T }, { op: "fetched", now: T, body: jwks }, { op: "begin", now: T + 300000 }, { op: "failed", now: T + 300100, reason: "status_503" },
  { op: "usable", now: T + 899999 }, { op: "due", now: T + 320000 }, { op: "due", now: T + 330000 }, { op: "usable", now: T + 900000 },
  { op: "plan", now: T + 900000 },
], [null, "", null, null, ["ec-1", "rsa-1"], false, true, null, "fetch"]);
refresh("no set and in cooldown after a failure: use (none) → the failure mode", [
  { op: "begin", now: T }, { op: "failed", now: T + 10, reason: "connect" }, { op: "plan", now: T + 1000 }, { op: "usable", now: T + 1000 }, { op: "plan", now: T + 30000 },
], [null, null, "use", null, "fetch"]);
refresh("a refused body keeps the last good set", [
  { op: "begin", now: T }, { op: "fetched", now: T, body: jwks }, { op: "begin", now: T + 300000 },
  { op: "fetched", now: T + 300001, body: JSON.stringify({ keys: [{ kty: "oct", k: "c2VjcmV0" }] }) }, { op: "usable", now: T + 300002 }, { op: "due", now: T + 330000 },
], [null, "", null, "key set has no usable key (key 0: symmetric (oct) keys are never accepted)", ["ec-1", "rsa-1"], true]);
refresh("bodies that are not key sets are refused", [
  { op: "begin", now: T }, { op: "fetched", now: T, body: "<html>" }, { op: "begin", now: T + 30000 }, { op: "fetched", now: T + 30000, body: "{\"keys\":[\"\xff\"]}" },
  { op: "begin", now: T + 60000 }, { op: "fetched", now: T + 60000, body: "x".repeat(65537) }, { op: "usable", now: T + 60000 },
], [null, "key set is not JSON: unexpected character at offset 0", null, "key set is not UTF-8", null, "key set larger than 65536 bytes", null]);
refresh("adopting another worker's set: only a newer one replaces", [
  { op: "adopt", fetchedAt: T, body: jwks }, { op: "usable", now: T + 1 }, { op: "adopt", fetchedAt: T - 1, body: rotated }, { op: "usable", now: T + 1 },
  { op: "adopt", fetchedAt: T + 5, body: rotated }, { op: "usable", now: T + 6 }, { op: "due", now: T + 6 },
], ["", ["ec-1", "rsa-1"], "", ["ec-1", "rsa-1"], "", ["ec-1", "ec-2", "rsa-1"], false]);
refresh("staleSeconds 0: the set ends with its refresh period", [
  { op: "begin", now: T }, { op: "fetched", now: T, body: jwks }, { op: "usable", now: T + 299999 }, { op: "usable", now: T + 300000 },
], [null, "", ["ec-1", "rsa-1"], null], { ...settings, staleSeconds: 0 });

if (problems.length > 0) {
  for (const p of problems) console.error(`jwt-flow-vectors: ${p}`);
  process.exit(1);
}
writeFileSync(join(root, "shared/vectors/jwt-flow.json"), "[\n" + vectors.map((v) => JSON.stringify(v)).join(",\n") + "\n]\n");
console.log(`jwt-flow-vectors: ${vectors.length} vectors written to shared/vectors/jwt-flow.json`);
