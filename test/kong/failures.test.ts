// What happens when meshgate's own process misbehaves: a handler exception, a plugin server that dies, and a
// request that used to kill it. Through the Kong dev host and the real plugin server.
import { connect } from "node:net";
import { join } from "node:path";
import { Encoder } from "@msgpack/msgpack";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { KongHost } from "../../dev/hosts/kong/gateway.js";
import { MsgpackRpcPool } from "../../dev/hosts/kong/msgpack-rpc.js";
import { startEcho, type EchoServer } from "../hosts/kong/helpers.js";
import { bearer, policyFor, startBackends, type Backends } from "../planes/support.js";
import { KONG_TEST_FIXTURES, KongHosts } from "./support.js";

const hosts = new KongHosts();
let backends: Backends;
let upstream: EchoServer;

beforeAll(async () => {
  backends = await startBackends();
  upstream = await startEcho("service");
});
afterEach(async () => {
  await hosts.stopAll();
  upstream.seen.length = 0;
});
afterAll(async () => {
  await Promise.all([backends?.close(), upstream?.close()]);
});

describe("a handler exception", () => {
  it("is answered with the failure status and never reaches the upstream (kong-pdk would return and Kong proxy)", async () => {
    // The preload breaks AbortSignal.timeout inside the plugin server, so the auth client throws where it never
    // expects to: the exception travels up to the handler's catch-all, as any bug would.
    const preload = join(KONG_TEST_FIXTURES, "broken-abort-signal.cjs");
    const host = await hosts.start(policyFor(backends), upstream.url, {
      serverEnv: { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --require ${preload}`.trim() },
    });
    const r = await host.request({ path: "/orders", headers: bearer(await backends.token("alice")) });
    expect(r.status).toBe(503);
    expect(JSON.parse(r.body)).toEqual({ error: "internal_error", message: "request refused by meshgate" });
    expect(r.proxied).toBe(false);
    expect(upstream.seen).toHaveLength(0);
    const logged = await host.waitForLog((l) => l.message.includes("internal error, request refused"));
    expect(logged.message).toContain("injected fault");
    expect(logged.message).not.toContain((await backends.token("alice")).slice(0, 20));
  });

  it("with failure.status 401 the internal error is still a 5xx (a handler bug is not the client's fault)", async () => {
    const preload = join(KONG_TEST_FIXTURES, "broken-abort-signal.cjs");
    const host = await hosts.start(policyFor(backends, { auth: { failure: { status: 401 } } }), upstream.url, {
      serverEnv: { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --require ${preload}`.trim() },
    });
    const r = await host.request({ path: "/", headers: bearer(await backends.token("bob")) });
    expect(r.status).toBe(500);
    expect(upstream.seen).toHaveLength(0);
  });
});

describe("the plugin server process", () => {
  it("killed: Kong proxies WITHOUT meshgate until it is back (documented caveat), then the host respawns it and requests are checked again", async () => {
    const host = await hosts.start(policyFor(backends), upstream.url);
    expect((await host.request({ path: "/" })).status).toBe(401);

    host.killServer("SIGKILL");
    await host.serverExited();
    const whileDown = await host.request({ path: "/no-token" });
    // This is Kong's behaviour for MsgPack plugin servers, reproduced by the host: the RPC fails, Kong logs it
    // and runs the request as if the plugin did not exist. kong-plugins/README.md says what to do about it.
    expect(whileDown.proxied).toBe(true);
    expect(upstream.seen.map((s) => s.url)).toEqual(["/no-token"]);

    await host.serverReady();
    expect(host.serverRestarts).toBe(1);
    expect((await host.request({ path: "/after" })).status).toBe(401); // "no plugin instance" → StartInstance → retry
    const allowed = await host.request({ path: "/after", headers: bearer(await backends.token("carol")) });
    expect(allowed.status).toBe(200);
    expect(upstream.seen.map((s) => s.url)).toEqual(["/no-token", "/after"]);
  });

  it("survives a client header named __proto__ (kong-pdk's listener crashed on it, and Kong then failed open)", async () => {
    const host = await hosts.start(policyFor(backends), upstream.url);
    const protoHeader = JSON.parse('{"__proto__":"admin"}') as Record<string, string>;
    const anonymous = await host.request({ path: "/", headers: protoHeader });
    expect(anonymous.status).toBe(401);
    expect(upstream.seen).toHaveLength(0);

    const authed = await host.request({ path: "/", headers: { ...protoHeader, ...bearer(await backends.token("dora")) } });
    expect(authed.status).toBe(200);
    expect(upstream.seen[0]?.headers["x-auth-subject"]).toBe("dora");
    expect(host.serverRestarts).toBe(0);
    expect(host.logs().filter((l) => l.message.includes("terminated"))).toEqual([]);
  });

  it("survives a Kong worker that hangs up mid-call (kong-pdk's listener crashed writing the late answer)", async () => {
    const host = await hosts.start(policyFor(backends), upstream.url);
    await abandonStepMidCall(host);
    // The late answer was written (or skipped) before these RPCs were served: a crash would show here.
    for (let i = 0; i < 3; i++) expect((await host.request({ path: "/" })).status).toBe(401);
    expect(host.serverRestarts).toBe(0);
    expect(host.logs().filter((l) => l.message.includes("terminated"))).toEqual([]);
  });
});

/** Starts an access event, sends the Step that makes the plugin answer, and closes the socket before the answer. */
async function abandonStepMidCall(host: KongHost): Promise<void> {
  const pool = new MsgpackRpcPool({ socketPath: host.socketPath(), timeoutMs: 5000 });
  let eventId: unknown;
  try {
    const started = (await pool.call("plugin.HandleEvent", { InstanceId: host.instanceStats().currentId, EventName: "access" })) as { EventId: unknown };
    eventId = started.EventId;
  } finally {
    pool.close();
  }
  const socket = connect(host.socketPath());
  await new Promise<void>((resolve, reject) => socket.once("connect", resolve).once("error", reject));
  socket.write(new Encoder().encode([0, 1, "plugin.StepMultiMap", [{ EventId: eventId, Data: {} }]]));
  socket.destroy();
}

describe("operational lines at Kong's default log_level (notice)", () => {
  it("a bad setting is logged through kong.log.warn by the first request, not only on the plugin server's output (info)", async () => {
    const host = await hosts.start(policyFor(backends), upstream.url, { serverEnv: { MESHGATE_BREAKER_MIN_CALLS: "x" } });
    expect(host.logLevel).toBe("notice");
    const r = await host.request({ path: "/query?access_token=never-in-the-line-itself", headers: bearer(await backends.token("ops")) });
    expect(r.status).toBe(200);
    const line = await host.waitForLog((l) => l.message.includes('MESHGATE_BREAKER_MIN_CALLS must be an integer 1..1000000, got "x"; using 20'));
    expect(line).toMatchObject({ source: "plugin", level: "warn" });
    // The line's own text stops before nginx's request context, which Kong appends to every request-time line.
    expect(line.message.slice(0, line.message.indexOf(", client: "))).not.toContain("never-in-the-line-itself");
    // Written once: the next request has nothing queued and costs no kong.log round trip.
    await host.request({ path: "/", headers: bearer(await backends.token("ops")) });
    expect(host.logs().filter((l) => l.message.includes("MESHGATE_BREAKER_MIN_CALLS"))).toHaveLength(1);
  });
});
