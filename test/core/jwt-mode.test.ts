// `auth.mode: jwt` in the core, driven as a host drives it (shared/DECISIONS.md §11.5): Step.Keys answered from a
// JwksRefresh with an injected clock and a fake fetch. The decisions themselves are vectors (shared/vectors/
// jwt-flow.json, both builds); this checks the interface a host relies on.
import { generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import { describe, expect, it } from "vitest";
import { authFingerprint } from "../../shared/src/cache-key";
import { Engine, RequestView, Step, type Flow } from "../../shared/src/engine";
import { Header } from "../../shared/src/headers";
import { JwksRefresh, KeysPlan } from "../../shared/src/jwks-refresh";
import { parsePolicy } from "../../shared/src/policy-parse";
import type { Policy } from "../../shared/src/policy";

const NOW = 1_767_225_600_000;
const b64 = (data: string | Buffer): string => Buffer.from(data).toString("base64url");

function keyPair(kid: string): { kid: string; privateKey: KeyObject; jwk: Record<string, unknown> } {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  return { kid, privateKey, jwk: { ...publicKey.export({ format: "jwk" }), kid, alg: "ES256", use: "sig" } };
}

function signed(key: { kid: string; privateKey: KeyObject }, claims: Record<string, unknown>): string {
  const input = `${b64(JSON.stringify({ alg: "ES256", kid: key.kid }))}.${b64(JSON.stringify(claims))}`;
  return `${input}.${b64(sign("sha256", Buffer.from(input), { key: key.privateKey, dsaEncoding: "ieee-p1363" }))}`;
}

function jwtPolicy(jwt: Record<string, unknown> = {}): Policy {
  const parsed = parsePolicy(JSON.stringify({ auth: { mode: "jwt", jwt: { jwks: { url: "http://idp.test/jwks" }, issuers: ["https://idp.test"], ...jwt } } }));
  expect(parsed.errors).toEqual([]);
  return parsed.policy!;
}

/** A host in miniature: the cache is ignored (always a miss); keys come from `refresh`, fetched from `published`. */
function run(engine: Engine, refresh: JwksRefresh, published: () => string, token: string, now: number): { flow: Flow; fetches: number } {
  const request = new RequestView();
  request.headers = [new Header("authorization", `Bearer ${token}`)];
  const flow = engine.begin(request, now);
  let fetches = 0;
  for (let guard = 0; guard < 8 && flow.step !== Step.Forward && flow.step !== Step.Reject; guard++) {
    if (flow.step === Step.LookupCache) engine.onCacheResult(flow, null, now);
    else if (flow.step === Step.Keys) {
      const plan = refresh.plan(now, flow.keysRefetch);
      expect(plan).not.toBe(KeysPlan.Wait); // nothing is in flight between calls here
      if (plan === KeysPlan.Fetch) {
        refresh.begin(now);
        fetches++;
        expect(refresh.onFetched(published(), now)).toBe("");
      }
      engine.onKeys(flow, refresh.usable(now), now);
    } else throw new Error(`unexpected step ${flow.step}`);
  }
  return { flow, fetches };
}

describe("jwt mode driven by a host", () => {
  it("fetches on the first request, refetches once for a rotated key after the cooldown, and refuses before it", () => {
    const policy = jwtPolicy();
    const engine = new Engine(policy);
    const refresh = new JwksRefresh(policy.auth.jwt);
    const old = keyPair("old");
    const next = keyPair("new");
    let keys = [old.jwk];
    const published = (): string => JSON.stringify({ keys });
    const claims = { sub: "alice", iss: "https://idp.test", exp: NOW / 1000 + 3600 };

    const first = run(engine, refresh, published, signed(old, claims), NOW);
    expect([first.flow.step, first.flow.reason, first.fetches]).toEqual([Step.Forward, "verified", 1]);
    expect(first.flow.toCache?.freshUntilMs).toBe(NOW + 60_000);

    keys = [old.jwk, next.jwk];
    const early = run(engine, refresh, published, signed(next, claims), NOW + 1_000);
    expect([early.flow.step, early.flow.reason, early.fetches, early.flow.response?.status]).toEqual([Step.Reject, "unknown_kid", 0, 401]);

    const later = run(engine, refresh, published, signed(next, { ...claims, sub: "bob" }), NOW + 30_000);
    expect([later.flow.step, later.flow.reason, later.fetches, later.flow.subject]).toEqual([Step.Forward, "verified", 1, "bob"]);
  });

  it("caps the decision's lifetime at the token's exp", () => {
    const policy = jwtPolicy();
    const key = keyPair("k");
    const { flow } = run(new Engine(policy), new JwksRefresh(policy.auth.jwt), () => JSON.stringify({ keys: [key.jwk] }),
      signed(key, { sub: "a", iss: "https://idp.test", exp: NOW / 1000 + 10 }), NOW);
    expect(flow.toCache?.freshUntilMs).toBe(NOW + 10_000);
    expect(flow.toCache?.decision.tokenExpMs).toBe(NOW + 10_000);
  });

  it("keys decisions by the rules that made them: other keys, issuers, audiences or claims never share an entry", () => {
    const base = authFingerprint(jwtPolicy().auth);
    expect(authFingerprint(jwtPolicy({ issuers: ["https://other.test"] }).auth)).not.toBe(base);
    expect(authFingerprint(jwtPolicy({ audiences: ["api"] }).auth)).not.toBe(base);
    expect(authFingerprint(jwtPolicy({ claims: { subject: "uid" } }).auth)).not.toBe(base);
    expect(authFingerprint(jwtPolicy({ clockSkewSeconds: 0 }).auth)).not.toBe(base);
    expect(authFingerprint(jwtPolicy({ jwks: { url: "http://other.test/jwks" } }).auth)).not.toBe(base);
    // Key refresh settings change when keys are fetched, not what a verified token means.
    expect(authFingerprint(jwtPolicy({ refreshSeconds: 60 }).auth)).toBe(base);
  });
});
