// The Kong dev host's process and instance management, checked against the real kong-js-pluginserver:
// plugin info, spawning, StartInstance config, instance reuse, "no plugin instance", server death.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { KongHost } from "../../../dev/hosts/kong/gateway.js";
import { MsgpackRpcPool } from "../../../dev/hosts/kong/msgpack-rpc.js";
import { PluginServerClock } from "../../../dev/hosts/kong/plugin-clock.js";
import { defaultStartCmd } from "../../../dev/hosts/kong/repo-paths.js";
import { fixture, probe, probeReply, startEcho, type EchoServer } from "./helpers.js";

let echo: EchoServer;
const hosts: KongHost[] = [];
const tempDirs: string[] = [];
const clocks: PluginServerClock[] = [];

async function startHost(options: Partial<Parameters<typeof KongHost.start>[0]> & { pluginsDir: string }): Promise<KongHost> {
  const host = await KongHost.start({ config: {}, serviceUrl: echo.url, traceRpc: true, ...options });
  hosts.push(host);
  return host;
}

beforeAll(async () => {
  echo = await startEcho("service");
});

afterEach(async () => {
  await Promise.all(hosts.splice(0).map((h) => h.close()));
  for (const clock of clocks.splice(0)) clock.dispose();
});

afterAll(async () => {
  await echo.close();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

describe("plugin info (checklist 1)", () => {
  test("comes from --dump-all-plugins as JSON, and like Kong >= 3.9 only entry [0] is registered", async () => {
    const [command, ...args] = defaultStartCmd();
    const dump = JSON.parse(execFileSync(command!, [...args, "--plugins-directory", fixture("two-plugins"), "--dump-all-plugins"], { encoding: "utf8" })) as Array<{ Name: string }>;
    expect(dump.map((p) => p.Name)).toEqual(["alpha", "beta"]);

    const host = await startHost({ pluginsDir: fixture("two-plugins") });
    expect(host.pluginInfo).toEqual(dump[0]);
    const res = await host.request({ path: "/" });
    expect(JSON.parse(res.body)).toEqual({ plugin: "alpha" });
  });

  test("describes the plugin as kong-pdk dumps it; StartInstance Config = defaults + given config + the keys Kong adds, nil keys absent (checklist 4)", async () => {
    const host = await startHost({ pluginsDir: fixture("probe"), config: { limit: 20, mode: "safe" } });
    expect(host.pluginInfo).toMatchObject({ Name: "probe", Version: "1.2.3", Priority: 1500 });
    expect([...host.pluginInfo.Phases].sort()).toEqual(["access", "log"]);
    expect(host.pluginInfo.Schema).toMatchObject({ name: "probe", fields: [{ config: { type: "record" } }] });

    // StartInstance Config (checklist 4), from the same host.
    const res = await host.request({ path: "/", headers: probe({ reply: 200 }) });
    const { config } = probeReply(res.body);
    expect(config).toEqual({
      message: "hello",
      limit: 20,
      mode: "safe",
      tags: [],
      limits: { minute: 60 },
      fail_start: false,
      __plugin_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      __ws_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      __key__: expect.stringMatching(/^plugins:probe:/),
      __seq__: 1,
    });
    // Global plugin: route_id/service_id/consumer_id are nil in Lua, so cjson leaves them out.
    expect(Object.keys(config)).not.toContain("route_id");
    expect(Object.keys(config)).not.toContain("consumer_id");
    const start = host.rpcTrace().find((e) => e.method === "plugin.StartInstance");
    expect(start?.arg).toEqual({ Name: "probe", Config: expect.any(String) });
  });

  test("a plugin that fails to load breaks the JSON dump, and start() says so (as Kong's cjson.decode would)", async () => {
    await expect(KongHost.start({ pluginsDir: fixture("broken-load"), config: {}, serviceUrl: echo.url })).rejects.toThrow(/failed decoding plugin info/);
  });

  test("an empty plugin directory is refused with a clear error", async () => {
    const empty = mkdtempSync(join(tmpdir(), "mg-empty-"));
    tempDirs.push(empty);
    await expect(KongHost.start({ pluginsDir: empty, config: {}, serviceUrl: echo.url })).rejects.toThrow(/dumped no plugin/);
  });
});

describe("plugin server process (checklist 2)", () => {
  test("is spawned with its own --kong-prefix and --sock-name, and start() waits until its socket accepts", async () => {
    const prefix = mkdtempSync(join(tmpdir(), "mg-prefix-"));
    tempDirs.push(prefix);
    const host = await startHost({ pluginsDir: fixture("probe"), prefix });
    expect(host.socketPath()).toBe(join(prefix, "probe_pluginserver.sock"));
    expect(existsSync(host.socketPath())).toBe(true);
    const argv = readFileSync(`/proc/${host.serverPid()}/cmdline`, "utf8").split("\0");
    expect(argv).toEqual(expect.arrayContaining(["--kong-prefix", prefix, "--sock-name", "probe_pluginserver.sock", "--plugins-directory", fixture("probe")]));
  });
});

describe("StartInstance and instance reuse (checklist 4)", () => {
  test("a config the plugin constructor rejects makes start() reject with the server's message", async () => {
    await expect(KongHost.start({ pluginsDir: fixture("probe"), config: { fail_start: true }, serviceUrl: echo.url })).rejects.toThrow(
      /StartInstance failed: fail_start: the probe refuses this config/,
    );
  });

  test("a config that violates the schema is refused before StartInstance, naming the field like Kong", async () => {
    await expect(KongHost.start({ pluginsDir: fixture("probe"), config: { limit: 0, nope: 1 }, serviceUrl: echo.url })).rejects.toThrow(
      "2 schema violations (config.nope: unknown field; config.limit: value should be between 1 and 1000)",
    );
  });

  test("the instance is reused while __seq__ is unchanged; a config change starts a new one and closes the old", async () => {
    const host = await startHost({ pluginsDir: fixture("probe") });
    for (let i = 0; i < 3; i += 1) await host.request({ path: "/" });
    expect(host.instanceStats()).toMatchObject({ started: 1, closed: 0 });
    const firstId = host.instanceStats().currentId;

    host.setConfig({ message: "changed" });
    const res = await host.request({ path: "/", headers: probe({ reply: 200 }) });
    expect(probeReply(res.body).config).toMatchObject({ message: "changed", __seq__: 2 });
    expect(host.instanceStats()).toMatchObject({ started: 2, closed: 1 });
    expect(host.rpcTrace().filter((e) => e.method === "plugin.CloseInstance").map((e) => e.arg)).toEqual([firstId]);
  });

  test("when StartInstance fails after a config change, requests get Kong's 500 and the error is logged", async () => {
    const host = await startHost({ pluginsDir: fixture("probe") });
    host.setConfig({ fail_start: true });
    const res = await host.request({ path: "/" });
    expect(res.status).toBe(500);
    expect(JSON.parse(res.body)).toEqual({ message: "An unexpected error occurred", request_id: res.headers["x-kong-request-id"] });
    expect(host.logs().some((l) => l.level === "err" && l.message.includes("starting instance: fail_start"))).toBe(true);
  });
});

describe('"no plugin instance" (checklist 8)', () => {
  test("the host starts the instance again and retries the event once", async () => {
    const host = await startHost({ pluginsDir: fixture("probe") });
    await host.request({ path: "/" });
    await host.idle();
    const goneId = host.instanceStats().currentId;
    const outsider = new MsgpackRpcPool({ socketPath: host.socketPath() });
    try {
      await outsider.call("plugin.CloseInstance", goneId);
    } finally {
      outsider.close();
    }
    host.clearRpcTrace();
    const res = await host.request({ path: "/", headers: probe({ reply: 202 }) });
    expect(res.status).toBe(202);
    expect(host.logs().some((l) => l.level === "warn" && l.message.includes(`no plugin instance #${String(goneId)}`))).toBe(true);
    expect(host.rpcTrace().map((e) => e.method).slice(0, 3)).toEqual(["plugin.HandleEvent", "plugin.StartInstance", "plugin.HandleEvent"]);
    expect(host.instanceStats().started).toBe(2);
  });
});

describe("plugin server death (checklist 10)", () => {
  test("fails OPEN (request proxied, error logged); the server is respawned at most once per second of Kong's clock and the plugin works again", async () => {
    const clock = new PluginServerClock();
    clocks.push(clock);
    const host = await startHost({ pluginsDir: fixture("exit-401"), clock });
    expect((await host.request({ path: "/" })).status).toBe(401);
    const firstPid = host.serverPid();

    // Killed within a second of its spawn: the respawn waits until a second of Kong's clock has passed.
    host.killServer("SIGKILL");
    await host.serverExited();
    const during = await host.request({ path: "/open" });
    expect(during).toMatchObject({ status: 200, proxied: true });
    expect(echo.seen.some((s) => s.url === "/open")).toBe(true);
    expect(host.logs().some((l) => l.level === "err" && l.source === "kong" && /connect|closed/.test(l.message))).toBe(true);
    clock.advance(999);
    expect(host.serverRestarts).toBe(0);
    clock.advance(1);
    expect(host.serverRestarts).toBe(1);
    await host.serverReady();
    expect(host.serverPid()).not.toBe(firstPid);
    expect(await host.request({ path: "/" })).toMatchObject({ status: 401, proxied: false });

    // Killed again right after that respawn: again a second of waiting, counted from the respawn.
    host.killServer("SIGKILL");
    await host.serverExited();
    clock.advance(999);
    expect(host.serverRestarts).toBe(1);
    clock.advance(1);
    expect(host.serverRestarts).toBe(2);
    await host.serverReady();

    // Killed when more than a second has passed since the last spawn: respawned at once, no clock time needed.
    clock.advance(5_000);
    host.killServer("SIGKILL");
    await host.serverExited();
    await host.serverReady();
    expect(host.serverRestarts).toBe(3);
    expect(host.logs().filter((l) => l.message.startsWith("[pluginserver] starting pluginserver process"))).toHaveLength(4);
    expect(await host.request({ path: "/" })).toMatchObject({ status: 401, proxied: false });
  });
});
