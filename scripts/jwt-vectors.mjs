#!/usr/bin/env node
// Writes shared/vectors/jwt.json: JWK, JWK Set and JWT-level vectors for the core (conformance runs them on both
// builds). Keys are generated afresh with node:crypto on every run and only their public halves are kept, so
// the file changes when regenerated; the expectations do not. `node scripts/jwt-vectors.mjs`
import { createHmac, createPrivateKey, generateKeyPairSync, sign } from "node:crypto";
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const NOW = 1767225600;
const b64 = (data) => Buffer.from(data).toString("base64url");

const ec = generateKeyPairSync("ec", { namedCurve: "P-256" });
const ec2 = generateKeyPairSync("ec", { namedCurve: "P-256" });
const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
const rsa1024 = generateKeyPairSync("rsa", { modulusLength: 1024 });
const pub = (pair) => { const { kty, crv, x, y, n, e } = pair.publicKey.export({ format: "jwk" }); return JSON.parse(JSON.stringify({ kty, crv, x, y, n, e })); };
const ecJwk = { ...pub(ec), kid: "ec-1", use: "sig", alg: "ES256" };
const ec2Jwk = { ...pub(ec2), kid: "ec-2" };
const rsaJwk = { ...pub(rsa), kid: "rsa-1", use: "sig" };
const jwks = { keys: [ecJwk, rsaJwk] };

function jws(header, payload, privateKey, alg, { rawPayload } = {}) {
  const input = `${b64(JSON.stringify(header))}.${rawPayload ?? b64(JSON.stringify(payload))}`;
  let sig;
  if (alg === "ES256") sig = sign("sha256", Buffer.from(input), { key: privateKey, dsaEncoding: "ieee-p1363" });
  else if (alg === "ES256-DER") sig = sign("sha256", Buffer.from(input), privateKey);
  else if (alg === "RS256") sig = sign("sha256", Buffer.from(input), privateKey);
  else if (alg === "PS256") sig = sign("sha256", Buffer.from(input), { key: privateKey, padding: 6, saltLength: 32 });
  return `${input}.${b64(sig)}`;
}
const claims = (extra = {}) => ({ sub: "alice", iss: "https://auth.example", aud: "meshgate", exp: NOW + 3600, iat: NOW - 10, ...extra });
const es = (payload = claims(), header = { alg: "ES256", kid: "ec-1", typ: "JWT" }) => jws(header, payload, ec.privateKey, "ES256");
const rs = (payload = claims(), header = { alg: "RS256", kid: "rsa-1" }) => jws(header, payload, rsa.privateKey, "RS256");

const vectors = [];
const jwt = (name, token, expected, extra = {}) => vectors.push({
  name: `jwt.verify ${name}`, kind: "jwt.verify",
  input: { token, jwks, now: NOW, issuers: ["https://auth.example"], audiences: ["meshgate"], clockSkewSeconds: 60, ...extra },
  expected,
});
const ok = (kid, exp = NOW + 3600) => ({ ok: true, reason: "", kid, sub: "alice", exp });
const no = (reason, kid = "") => ({ ok: false, reason, kid });

// Good tokens.
jwt("good ES256 token", es(), ok("ec-1"));
jwt("good RS256 token", rs(), ok("rsa-1"));
jwt("good PS256 token when PS256 is allowed", jws({ alg: "PS256", kid: "rsa-1" }, claims(), rsa.privateKey, "PS256"), ok("rsa-1"), { algorithms: ["ES256", "RS256", "PS256"] });
jwt("PS256 token under the default allow list", jws({ alg: "PS256", kid: "rsa-1" }, claims(), rsa.privateKey, "PS256"), no("alg_not_allowed", "rsa-1"), { algorithms: undefined });
// Syntax.
const good = es();
const [h, p, s] = good.split(".");
jwt("two parts", `${h}.${p}`, no("malformed"));
jwt("four parts", `${good}.${s}`, no("malformed"));
jwt("empty token", "", no("malformed"));
jwt("empty signature part", `${h}.${p}.`, no("malformed"));
jwt("empty payload part", `${h}..${s}`, no("malformed"));
jwt("base64 padding in the signature", `${h}.${p}.${s}=`, no("malformed"));
jwt("standard-alphabet character", `${h}.${p}.${s.slice(0, -2)}+${s.slice(-1)}`, no("malformed"));
jwt("non-canonical last character (unused bits set)", `${h}.${b64("{}").slice(0, -1)}t.${s}`, no("malformed"));
jwt("header is not JSON", `${b64("alg=ES256")}.${p}.${s}`, no("malformed"));
jwt("header is a JSON array", `${b64('["ES256"]')}.${p}.${s}`, no("malformed"));
jwt("payload is a JSON string", jws({ alg: "ES256", kid: "ec-1" }, "alice", ec.privateKey, "ES256"), no("malformed"));
jwt("payload is not UTF-8", jws({ alg: "ES256", kid: "ec-1" }, null, ec.privateKey, "ES256", { rawPayload: b64(Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d])) }), no("malformed"));
jwt("duplicate alg in the header", `${b64('{"alg":"none","alg":"ES256","kid":"ec-1"}')}.${p}.${s}`, no("malformed"));
jwt("duplicate exp in the payload", jws({ alg: "ES256", kid: "ec-1" }, null, ec.privateKey, "ES256", { rawPayload: b64(`{"sub":"alice","exp":1,"exp":${NOW + 3600}}`) }), no("malformed"));
jwt("crit header", es(claims(), { alg: "ES256", kid: "ec-1", crit: ["exp"], exp: 1 }), no("malformed"));
jwt("alg is not a string", `${b64('{"alg":256,"kid":"ec-1"}')}.${p}.${s}`, no("malformed"));
jwt("kid is a number", `${b64('{"alg":"ES256","kid":1}')}.${p}.${s}`, no("malformed"));
jwt("token over 16 KiB", es(claims({ pad: "x".repeat(12300) })), no("malformed"));
// Algorithms.
jwt("alg none with an empty signature", `${b64('{"alg":"none"}')}.${p}.`, no("malformed"));
jwt("alg none with a signature", `${b64('{"alg":"none","kid":"ec-1"}')}.${p}.${s}`, no("alg_not_allowed", "ec-1"));
jwt("alg none even when listed", `${b64('{"alg":"none","kid":"ec-1"}')}.${p}.${s}`, no("alg_not_allowed", "ec-1"), { algorithms: ["none", "ES256"] });
{
  const pem = rsa.publicKey.export({ format: "pem", type: "spki" });
  const input = `${b64(JSON.stringify({ alg: "HS256", kid: "rsa-1" }))}.${p}`;
  const hs = `${input}.${createHmac("sha256", pem).update(input).digest("base64url")}`;
  jwt("HS256 signed with the RSA public key as secret", hs, no("alg_not_allowed", "rsa-1"));
  jwt("HS256 even when listed", hs, no("alg_not_allowed", "rsa-1"), { algorithms: ["HS256", "RS256"] });
}
jwt("RS512 is never verifiable", rs(claims(), { alg: "RS512", kid: "rsa-1" }), no("alg_not_allowed", "rsa-1"), { algorithms: ["RS512"] });
jwt("alg confusion: ES256 header naming the RSA key", es(claims(), { alg: "ES256", kid: "rsa-1" }), no("key_mismatch", "rsa-1"));
jwt("alg confusion: RS256 header naming the EC key", rs(claims(), { alg: "RS256", kid: "ec-1" }), no("key_mismatch", "ec-1"));
jwt("PS256 with a key whose own alg is RS256", jws({ alg: "PS256", kid: "rsa-pinned" }, claims(), rsa.privateKey, "PS256"), no("key_mismatch", "rsa-pinned"),
  { algorithms: ["PS256"], jwks: { keys: [{ ...rsaJwk, kid: "rsa-pinned", alg: "RS256" }] } });
// Key ids.
jwt("unknown kid", es(claims(), { alg: "ES256", kid: "ec-9" }), no("unknown_kid", "ec-9"));
jwt("kid differs by a trailing NUL", es(claims(), { alg: "ES256", kid: "ec-1\u0000" }), no("unknown_kid", "ec-1\u0000"));
jwt("kid differs in case", es(claims(), { alg: "ES256", kid: "EC-1" }), no("unknown_kid", "EC-1"));
jwt("kid with path characters", es(claims(), { alg: "ES256", kid: "../../ec-1" }), no("unknown_kid", "../../ec-1"));
jwt("no kid, exactly one key fits the alg", es(claims(), { alg: "ES256" }), ok(""));
jwt("no kid, two keys fit the alg", es(claims(), { alg: "ES256" }), no("missing_kid"), { jwks: { keys: [ecJwk, ec2Jwk, rsaJwk] } });
jwt("duplicate kid in the key set", es(), no("ambiguous_kid", "ec-1"), { jwks: { keys: [ecJwk, { ...ec2Jwk, kid: "ec-1" }] } });
jwt("same kid on an EC and an RSA key picks by alg", rs(claims(), { alg: "RS256", kid: "shared" }), ok("shared"),
  { jwks: { keys: [{ ...ecJwk, kid: "shared" }, { ...rsaJwk, kid: "shared" }] } });
jwt("signed by another key under a known kid", jws({ alg: "ES256", kid: "ec-1" }, claims(), ec2.privateKey, "ES256"), no("bad_signature", "ec-1"));
// Signatures.
jwt("tampered payload", `${h}.${b64(JSON.stringify(claims({ sub: "mallory" })))}.${s}`, no("bad_signature", "ec-1"));
{
  const sig = Buffer.from(s, "base64url");
  sig[10] ^= 1;
  jwt("tampered signature", `${h}.${p}.${b64(sig)}`, no("bad_signature", "ec-1"));
}
jwt("ES256 signature in DER instead of r||s", jws({ alg: "ES256", kid: "ec-1" }, claims(), ec.privateKey, "ES256-DER"), no("bad_signature", "ec-1"));
// Claims.
jwt("exp exactly now, no skew", es(claims({ exp: NOW })), no("expired", "ec-1"), { clockSkewSeconds: 0 });
jwt("exp one second ahead, no skew", es(claims({ exp: NOW + 1 })), ok("ec-1", NOW + 1), { clockSkewSeconds: 0 });
jwt("exp 30 s ago within 60 s skew", es(claims({ exp: NOW - 30 })), ok("ec-1", NOW - 30));
jwt("exp 60 s ago at the edge of 60 s skew", es(claims({ exp: NOW - 60 })), no("expired", "ec-1"));
jwt("nbf 30 s ahead within skew", es(claims({ nbf: NOW + 30 })), ok("ec-1"));
jwt("nbf 61 s ahead beyond skew", es(claims({ nbf: NOW + 61 })), no("not_yet_valid", "ec-1"));
jwt("iat 61 s in the future", es(claims({ iat: NOW + 61 })), no("issued_in_future", "ec-1"));
jwt("exp as a numeric string", es(claims({ exp: String(NOW + 3600) })), no("invalid_claims", "ec-1"));
jwt("nbf null", es(claims({ nbf: null })), no("invalid_claims", "ec-1"));
jwt("no exp", es(claims({ exp: undefined })), no("missing_exp", "ec-1"));
jwt("fractional exp", es(claims({ exp: NOW + 0.5 })), ok("ec-1", NOW + 0.5), { clockSkewSeconds: 0 });
jwt("wrong iss", es(claims({ iss: "https://evil.example" })), no("wrong_issuer", "ec-1"));
jwt("no iss with issuers configured", es(claims({ iss: undefined })), no("wrong_issuer", "ec-1"));
jwt("iss not a string", es(claims({ iss: ["https://auth.example"] })), no("invalid_claims", "ec-1"));
jwt("no iss check when none configured", es(claims({ iss: undefined })), ok("ec-1"), { issuers: [] });
jwt("aud array containing the audience", es(claims({ aud: ["other", "meshgate"] })), ok("ec-1"));
jwt("aud array without the audience", es(claims({ aud: ["other", "meshgate2"] })), no("wrong_audience", "ec-1"));
jwt("aud array with a number", es(claims({ aud: ["meshgate", 7] })), no("invalid_claims", "ec-1"));
jwt("no aud with audiences configured", es(claims({ aud: undefined })), no("wrong_audience", "ec-1"));
jwt("aud compared exactly (case)", es(claims({ aud: "MeshGate" })), no("wrong_audience", "ec-1"));
jwt("key set unusable: every token refused as unknown kid", es(), no("unknown_kid", "ec-1"), { jwks: { keys: [{ kty: "oct", k: "c2VjcmV0", kid: "ec-1" }] } });

// JWK parsing.
const jwk = (name, key, expected) => vectors.push({ name: `jwk.parse ${name}`, kind: "jwk.parse", input: { jwk: key }, expected });
const { kid: _k, use: _u, alg: _a, ...ecBare } = ecJwk;
jwk("EC P-256 public key", ecJwk, { ok: true, kty: "EC", crv: "P-256", kid: "ec-1" });
jwk("RSA 2048 public key", rsaJwk, { ok: true, kty: "RSA", crv: "", kid: "rsa-1" });
jwk("EC key without kid, use or alg", ecBare, { ok: true, kty: "EC", crv: "P-256" });
jwk("symmetric oct key", { kty: "oct", k: "c2VjcmV0", alg: "HS256" }, { ok: false, error: "symmetric (oct) keys are never accepted" });
jwk("EC private key", { ...ecJwk, ...(() => { const { d } = ec.privateKey.export({ format: "jwk" }); return { d }; })() }, { ok: false, error: "private key member 'd' present" });
jwk("RSA private key member p", { ...rsaJwk, p: "AQAB" }, { ok: false, error: "private key member 'p' present" });
jwk("use enc", { ...ecJwk, use: "enc" }, { ok: false, error: "use is not \"sig\"" });
jwk("key_ops without verify", { ...ecBare, key_ops: ["sign"] }, { ok: false, error: "key_ops does not include \"verify\"" });
jwk("key_ops with verify", { ...ecBare, key_ops: ["verify"] }, { ok: true, kty: "EC", crv: "P-256" });
jwk("alg ES384 on a P-256 key", { ...ecBare, alg: "ES384" }, { ok: false, error: "alg ES384 does not fit this key or is not offered" });
jwk("alg ES256 on an RSA key", { ...rsaJwk, alg: "ES256" }, { ok: false, error: "alg ES256 does not fit this key or is not offered" });
jwk("alg HS256 on an EC key", { ...ecBare, alg: "HS256" }, { ok: false, error: "alg HS256 does not fit this key or is not offered" });
jwk("kty RSA with EC members", { ...ecBare, kty: "RSA" }, { ok: false, error: "n and e must be base64url" });
jwk("crv P-384", { ...ecBare, crv: "P-384" }, { ok: false, error: "unsupported crv" });
jwk("unknown kty", { kty: "OKP", crv: "Ed25519", x: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo" }, { ok: false, error: "unsupported kty" });
jwk("x shorter than 32 bytes", { ...ecBare, x: b64(Buffer.from(ecBare.x, "base64url").subarray(1)) }, { ok: false, error: "x and y must be 32-byte base64url" });
{
  const y = Buffer.from(ecBare.y, "base64url");
  y[31] ^= 1;
  jwk("point not on the curve", { ...ecBare, y: b64(y) }, { ok: false, error: "point is not on P-256" });
}
jwk("x with base64 padding", { ...ecBare, x: ecBare.x + "=" }, { ok: false, error: "x and y must be 32-byte base64url" });
jwk("RSA 1024-bit modulus", { ...pub(rsa1024), kid: "small" }, { ok: false, error: "RSA key must have an odd 2048..4096-bit modulus and an odd exponent 3 <= e < n" });
jwk("RSA exponent 1", { ...rsaJwk, e: "AQ" }, { ok: false, error: "RSA key must have an odd 2048..4096-bit modulus and an odd exponent 3 <= e < n" });
{
  const n = Buffer.from(rsaJwk.n, "base64url");
  n[n.length - 1] &= 0xfe;
  jwk("RSA even modulus", { ...rsaJwk, n: b64(n) }, { ok: false, error: "RSA key must have an odd 2048..4096-bit modulus and an odd exponent 3 <= e < n" });
}
jwk("RSA modulus with a leading zero byte", { ...rsaJwk, n: b64(Buffer.concat([Buffer.from([0]), Buffer.from(rsaJwk.n, "base64url")])) }, { ok: true, kty: "RSA", crv: "", kid: "rsa-1" });
jwk("kid not a string", { ...ecBare, kid: 7 }, { ok: false, error: "kid is not a string" });
jwk("not an object", "ec-1", { ok: false, error: "key is not a JSON object" });

// Key sets.
const set = (name, text, expected) => vectors.push({ name: `jwks.parse ${name}`, kind: "jwks.parse", input: { text }, expected });
set("EC and RSA keys", JSON.stringify(jwks), { ok: true, kids: ["ec-1", "rsa-1"], skipped: [] });
set("an oct key among them is skipped", JSON.stringify({ keys: [{ kty: "oct", k: "c2VjcmV0" }, ecJwk] }), { ok: true, kids: ["ec-1"], skipped: ["key 0: symmetric (oct) keys are never accepted"] });
set("only unusable keys", JSON.stringify({ keys: [{ kty: "oct", k: "c2VjcmV0" }] }), { ok: false, error: "key set has no usable key (key 0: symmetric (oct) keys are never accepted)" });
set("empty keys array", JSON.stringify({ keys: [] }), { ok: false, error: "key set has no usable key" });
set("no keys member", JSON.stringify({ ...ecJwk }), { ok: false, error: "key set has no \"keys\" array" });
set("33 keys", JSON.stringify({ keys: Array.from({ length: 33 }, (_, i) => ({ ...ecJwk, kid: `k${i}` })) }), { ok: false, error: "key set has more than 32 keys" });
set("not JSON", "<html>", { ok: false, error: "key set is not JSON: unexpected character at offset 0" });
set("over 64 KiB", JSON.stringify({ keys: [ecJwk], pad: "x".repeat(65536) }), { ok: false, error: "key set larger than 65536 bytes" });

writeFileSync(join(root, "shared/vectors/jwt.json"), "[\n" + vectors.map((v) => JSON.stringify(v)).join(",\n") + "\n]\n");
console.log(`jwt-vectors: ${vectors.length} vectors written to shared/vectors/jwt.json`);
