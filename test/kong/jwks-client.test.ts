// The Kong plane's JWKS fetches (kong-plugins/src/jwks-client.ts): what each way a fetch can end becomes, and one
// fetch in flight per source however many requests need the keys at once.
import { generateKeyPairSync } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { JwksSource, fetchJwks, type JwksFetchOutcome } from "../../kong-plugins/src/jwks-client";
import { JwtSettings } from "../../shared/src/policy";
import { freePort } from "../support/redis.js";

const JWKS = JSON.stringify({
  keys: [{ ...generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey.export({ format: "jwk" }), kid: "k1" }],
});

let server: Server | null = null;
afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = null;
});

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  server = createServer(handler);
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}/jwks.json`;
}

describe("fetchJwks", () => {
  it("returns a 200 body as a byte string (one character per byte)", async () => {
    const url = await serve((req, res) => res.writeHead(200, { "content-type": "application/json" }).end(Buffer.from('{"keys":[],"n":"é"}')));
    expect(await fetchJwks(url, 5_000)).toEqual({ ok: true, body: '{"keys":[],"n":"\u00c3\u00a9"}' });
  });

  it("names a non-200 status, drains its body and leaves no unhandled error behind", async () => {
    const unhandled: unknown[] = [];
    const record = (e: unknown): void => void unhandled.push(e);
    process.on("unhandledRejection", record);
    process.on("uncaughtException", record);
    try {
      const url = await serve((req, res) => res.writeHead(503, { "content-type": "application/json" }).end("{}"));
      expect(await fetchJwks(url, 5_000)).toEqual({ ok: false, failure: "status_503" });
      // Whatever the dropped body would raise is raised within a few turns of the event loop.
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setImmediate(resolve));
      expect(unhandled).toEqual([]);
    } finally {
      process.off("unhandledRejection", record);
      process.off("uncaughtException", record);
    }
  });

  it("refuses a body over 64 KiB", async () => {
    const url = await serve((req, res) => res.writeHead(200).end("x".repeat(65_537)));
    expect(await fetchJwks(url, 5_000)).toEqual({ ok: false, failure: "too_large" });
  });

  it("times out on a server that never answers, and reports a refused connection", async () => {
    const url = await serve(() => undefined);
    expect(await fetchJwks(url, 50)).toEqual({ ok: false, failure: "timeout" });
    expect(await fetchJwks(`http://127.0.0.1:${await freePort()}/jwks.json`, 5_000)).toEqual({ ok: false, failure: "connect" });
  });
});

describe("JwksSource", () => {
  it("makes one fetch for any number of requests that need the keys at once, and reports it", async () => {
    let hits = 0;
    let release: () => void = () => undefined;
    const answered = new Promise<void>((resolve) => (release = resolve));
    const url = await serve((req, res) => {
      hits++;
      void answered.then(() => res.writeHead(200).end(JWKS));
    });
    const settings = new JwtSettings();
    settings.jwks.url = url;
    const outcomes: JwksFetchOutcome[] = [];
    const source = new JwksSource(url, 5_000, settings, (o) => outcomes.push(o));
    const waiting = Array.from({ length: 20 }, () => source.keysFor(false));
    release();
    const sets = await Promise.all(waiting);
    expect(hits).toBe(1);
    for (const set of sets) expect(set?.keys.map((k) => k.kid)).toEqual(["k1"]);
    expect(outcomes).toEqual([{ url, result: "ok", detail: "" }]);
    // An unknown kid right after: inside the cooldown, answered with the set in hand, no fetch.
    expect((await source.keysFor(true))?.keys.length).toBe(1);
    expect(hits).toBe(1);
  });

  it("reports a body that is no usable key set as refused and has no set to offer", async () => {
    const url = await serve((req, res) => res.writeHead(200).end('{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}'));
    const outcomes: JwksFetchOutcome[] = [];
    const source = new JwksSource(url, 5_000, new JwtSettings(), (o) => outcomes.push(o));
    expect(await source.keysFor(false)).toBeNull();
    expect(outcomes).toEqual([{ url, result: "refused", detail: "key set has no usable key (key 0: symmetric (oct) keys are never accepted)" }]);
  });
});
