// meshgate's plugin server (kong-plugins/server): exit events released, unlike stock kong-pdk's server.
// Whether the server still holds an event is observable over RPC: a Step for a released event fails with
// "event id N not found"; for a retained one the server still answers.
import { execFileSync } from "node:child_process";
import { afterEach, describe, expect, test } from "vitest";
import { KongHost } from "../../../dev/hosts/kong/gateway.js";
import { MsgpackRpcPool, type RpcTraceEntry } from "../../../dev/hosts/kong/msgpack-rpc.js";
import { defaultStartCmd, plainStartCmd } from "../../../dev/hosts/kong/repo-paths.js";
import { fixture, probe } from "./helpers.js";

const hosts: KongHost[] = [];

afterEach(async () => {
  await Promise.all(hosts.splice(0).map((h) => h.close()));
});

async function startHost(pluginsDir: string, startCmd: string[], serverEnv?: NodeJS.ProcessEnv): Promise<KongHost> {
  // log_level info: the plugin server's own output (where it reports dropped events) is logged at info by Kong.
  const host = await KongHost.start({ pluginsDir, config: {}, serviceUrl: "http://127.0.0.1:9", startCmd, traceRpc: true, serverEnv, logLevel: "info" });
  hosts.push(host);
  return host;
}

function lastAccessEventId(trace: RpcTraceEntry[]): number {
  const handle = trace.filter((e) => e.method === "plugin.HandleEvent" && (e.arg as { EventName: string }).EventName === "access").at(-1);
  return (handle?.result as { EventId: number }).EventId;
}

async function stepOutside(host: KongHost, eventId: number): Promise<unknown> {
  const pool = new MsgpackRpcPool({ socketPath: host.socketPath(), timeoutMs: 5000 });
  try {
    return await pool.call("plugin.Step", { EventId: eventId });
  } finally {
    pool.close();
  }
}

describe("the meshgate start command", () => {
  test("accepts --dump-all-plugins and prints exactly what kong-js-pluginserver prints", () => {
    const dump = (cmd: string[]): string => execFileSync(cmd[0]!, [...cmd.slice(1), "--plugins-directory", fixture("probe"), "--dump-all-plugins"], { encoding: "utf8" });
    expect(dump(defaultStartCmd())).toBe(dump(plainStartCmd()));
  });

  test("releases the event as soon as it hands Kong kong.response.exit", async () => {
    const host = await startHost(fixture("exit-401"), defaultStartCmd());
    expect((await host.request({ path: "/" })).status).toBe(401);
    const eventId = lastAccessEventId(host.rpcTrace());
    await expect(stepOutside(host, eventId)).rejects.toThrow(`event id ${eventId} not found`);
  });

  test("releases the event after kong.response.error too", async () => {
    const host = await startHost(fixture("probe"), defaultStartCmd());
    expect((await host.request({ path: "/", headers: probe({ calls: [["kong.response.error", 429]] }) })).status).toBe(429);
    const eventId = lastAccessEventId(host.rpcTrace());
    await expect(stepOutside(host, eventId)).rejects.toThrow(`event id ${eventId} not found`);
  });

  test("(why it exists) plain kong-js-pluginserver keeps the exited event: it still answers a Step for it", async () => {
    const host = await startHost(fixture("exit-401"), plainStartCmd());
    expect((await host.request({ path: "/" })).status).toBe(401);
    const eventId = lastAccessEventId(host.rpcTrace());
    expect(await stepOutside(host, eventId)).toEqual({ Data: "ret", EventId: eventId });
  });

  test("drops an event Kong abandoned after a PDK error once it waited longer than the TTL", async () => {
    const host = await startHost(fixture("probe"), defaultStartCmd(), { MESHGATE_ABANDONED_EVENT_TTL_MS: "100" });
    const res = await host.request({ path: "/", headers: probe({ calls: [["kong.service.setTarget", "h", 1.5]] }) });
    expect(res.status).toBe(500);
    const eventId = lastAccessEventId(host.rpcTrace());
    await host.waitForLog((l) => l.source === "server" && l.message.includes(`dropped event #${eventId}`), 5000);
    await expect(stepOutside(host, eventId)).rejects.toThrow(`event id ${eventId} not found`);
  });
});
