// The event bridge against the real plugin server: HandleEvent + Step loop with Kong's Step variants (5),
// exit/error (6), PDK errors (7), the log phase (9) and round-trip counting (11).
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { KongHost } from "../../../dev/hosts/kong/gateway.js";
import type { RpcTraceEntry } from "../../../dev/hosts/kong/msgpack-rpc.js";
import { fixture, probe, probeReply, startEcho, type EchoServer, type ProbeCall } from "./helpers.js";

let echo: EchoServer;
let host: KongHost;
let exitHost: KongHost;

beforeAll(async () => {
  echo = await startEcho("service");
  [host, exitHost] = await Promise.all([
    KongHost.start({ pluginsDir: fixture("probe"), config: {}, serviceUrl: echo.url, traceRpc: true }),
    KongHost.start({ pluginsDir: fixture("exit-401"), config: {}, serviceUrl: echo.url, traceRpc: true }),
  ]);
});

afterAll(async () => {
  await Promise.all([host?.close(), exitHost?.close()]);
  await echo.close();
});

/** The RPCs of the access event of the last request: HandleEvent and every Step with its EventId. */
async function accessEventRpcs(h: KongHost): Promise<RpcTraceEntry[]> {
  await h.idle();
  const trace = h.rpcTrace();
  const handle = trace.find((e) => e.method === "plugin.HandleEvent" && (e.arg as { EventName: string }).EventName === "access");
  const eventId = (handle?.result as { EventId: number } | undefined)?.EventId;
  return trace.filter((e) => e === handle || (e.method.startsWith("plugin.Step") && (e.arg as { EventId: number }).EventId === eventId));
}

function returnedMethod(entry: RpcTraceEntry | undefined): unknown {
  const data = (entry?.result as { Data?: unknown } | undefined)?.Data;
  return typeof data === "object" && data !== null ? (data as { Method: string }).Method : data;
}

describe("HandleEvent and the Step loop (checklist 5)", () => {
  test("each PDK result goes back with Kong's Step variant; a nil result has no Data key; the loop stops on ret", async () => {
    host.clearRpcTrace();
    const calls: ProbeCall[] = [
      ["kong.request.getHeaders"],
      ["kong.request.getQuery"],
      ["kong.client.authenticate", { id: "c1", username: "ann" }, { id: "cred1" }],
      ["kong.client.getConsumer"],
      ["kong.client.getCredential"],
      ["kong.router.getRoute"],
      ["kong.router.getService"],
      ["kong.request.getHeader", "x-absent"],
      ["kong.response.getHeaders"],
    ];
    const res = await host.request({ path: "/p?a=1&a=2&flag", headers: probe({ calls: calls.slice(0, 8) }) });
    expect(res.proxied).toBe(true);
    const rpcs = await accessEventRpcs(host);
    expect(rpcs.map((e) => e.method)).toEqual([
      "plugin.HandleEvent",
      "plugin.Step", // get_header("x-probe")
      "plugin.StepMultiMap",
      "plugin.StepMultiMap",
      "plugin.StepCredential",
      "plugin.StepConsumer",
      "plugin.StepCredential",
      "plugin.StepRoute",
      "plugin.StepService",
      "plugin.Step", // get_header("x-absent") → nil
      "plugin.Step", // service.request.set_header(x-probe-results) → nil
    ]);
    expect(rpcs[0]?.arg).toEqual({ InstanceId: host.instanceStats().currentId, EventName: "access" });
    expect(Object.keys(rpcs[9]?.arg as object)).toEqual(["EventId"]);
    expect(Object.keys(rpcs[4]?.arg as object)).toEqual(["EventId"]); // authenticate returns nothing
    expect(returnedMethod(rpcs.at(-1))).toBe("ret");

    const results = JSON.parse(echo.seen.at(-1)?.headers["x-probe-results"] as string) as unknown[];
    expect(results[0]).toMatchObject({ host: ["localhost:8000"], "x-probe": [expect.any(String)] });
    expect(results[1]).toEqual({ a: ["1", "2"], flag: [] });
    expect(results[3]).toEqual({ id: "c1", username: "ann" });
    expect(results[4]).toEqual({ id: "cred1" });
    expect(results[7]).toEqual({ $undefined: true });
  });
});

describe("kong.response.exit / kong.response.error (checklist 6)", () => {
  test("exit records status, body and headers (earlier set_header kept) and no further Step is sent", async () => {
    host.clearRpcTrace();
    const res = await host.request({ path: "/", headers: probe({ calls: [["kong.response.setHeader", "x-before", "kept"]], reply: 418 }) });
    expect(res).toMatchObject({ status: 418, proxied: false, upstream: null });
    expect(res.headers).toMatchObject({ "x-before": "kept", "content-type": "application/json; charset=utf-8" });
    expect(probeReply(res.body).results).toEqual([{ $undefined: true }]);
    const rpcs = await accessEventRpcs(host);
    expect(returnedMethod(rpcs.at(-1))).toBe("kong.response.exit");
    expect(rpcs.filter((e) => e.method.startsWith("plugin.Step"))).toHaveLength(2);
  });

  test("exit with a string body and headers sends them as given", async () => {
    const res = await exitHost.request({ path: "/" });
    expect(res.status).toBe(401);
    expect(res.headers["www-authenticate"]).toBe('Bearer realm="fixture"');
    expect(JSON.parse(res.body)).toEqual({ message: "Unauthorized" });
  });

  test("error builds Kong's templated body with the request id; Accept picks the format; nothing runs after it", async () => {
    host.clearRpcTrace();
    const res = await host.request({ path: "/", headers: probe({ calls: [["kong.response.error", 403, "go away"], ["kong.log.err", "never sent"]] }) });
    expect(res.status).toBe(403);
    expect(JSON.parse(res.body)).toEqual({ message: "go away", request_id: res.headers["x-kong-request-id"] });
    const rpcs = await accessEventRpcs(host);
    expect(returnedMethod(rpcs.at(-1))).toBe("kong.response.error");
    expect(host.logs().some((l) => l.message.includes("never sent"))).toBe(false);

    const plain = await host.request({ path: "/", headers: probe({ calls: [["kong.response.error", 429]] }, { accept: "text/plain" }) });
    expect(plain.headers["content-type"]).toBe("text/plain; charset=utf-8");
    expect(plain.body).toBe(`Too many requests\nrequest_id: ${String(plain.headers["x-kong-request-id"])}\n`);
  });
});

describe("a PDK call Kong would raise on (checklist 7)", () => {
  const cases: Array<[string, ProbeCall, RegExp]> = [
    ["non-integer port to set_target", ["kong.service.setTarget", "10.0.0.1", 80.5], /port must be an integer/],
    ["port out of range", ["kong.service.setTarget", "10.0.0.1", 70000], /between 0 and 65535: given 70000/],
    ["nil header value", ["kong.service.request.setHeader", "x-a", null], /invalid header value for "x-a": got nil/],
    ["non-string header name", ["kong.response.setHeader", 5, "v"], /invalid header name 5: got number/],
    ["wrong phase", ["kong.response.getStatus"], /function cannot be called in access phase/],
    ["log.serialize outside log", ["kong.log.serialize"], /function cannot be called in access phase \(only in: log\)/],
    ["bad authenticate args", ["kong.client.authenticate", null, null], /either credential or consumer must be provided/],
    ["non-number exit status", ["kong.response.exit", "401"], /code must be a number/],
    ["calling a namespace", ["kong.service.request"], /attempt to call a table value/],
  ];
  test.each(cases)("%s → Kong's 500 error body with the request id, error logged, no Step after it", async (_name, call, logged) => {
    host.clearRpcTrace();
    const res = await host.request({ path: "/pdk-error", headers: probe({ calls: [call] }) });
    expect(res).toMatchObject({ status: 500, proxied: false });
    expect(res.headers["content-type"]).toBe("application/json; charset=utf-8");
    expect(JSON.parse(res.body)).toEqual({ message: "An unexpected error occurred", request_id: res.headers["x-kong-request-id"] });
    const rpcs = await accessEventRpcs(host);
    expect(rpcs.filter((e) => e.method.startsWith("plugin.Step"))).toHaveLength(1); // only the get_header(x-probe) answer
    expect(host.logs().some((l) => l.level === "err" && logged.test(l.message))).toBe(true);
    expect(echo.seen.some((s) => s.url === "/pdk-error")).toBe(false);
  });

  test("the 500 after a PDK error is sent with kong.response.error, so Accept picks its format (kong/init.lua flush_delayed_response)", async () => {
    const res = await host.request({ path: "/pdk-error", headers: probe({ calls: [["kong.response.exit", "401"]] }, { accept: "text/plain" }) });
    expect(res.status).toBe(500);
    expect(res.headers["content-type"]).toBe("text/plain; charset=utf-8");
    expect(res.body).toBe(`An unexpected error occurred\nrequest_id: ${String(res.headers["x-kong-request-id"])}\n`);
  });

  test("an unknown PDK method is NOT an error in Kong: it is logged and answers nil (kong.request.get_id does not exist)", async () => {
    const res = await host.request({ path: "/", headers: probe({ calls: [["kong.request.getId"]], reply: 200 }) });
    expect(res.status).toBe(200);
    expect(probeReply(res.body).results).toEqual([{ $undefined: true }]);
    expect(host.logs().some((l) => l.level === "err" && l.source === "kong" && l.message.startsWith("could not find pdk method: kong.request.get_id, client: "))).toBe(true);
  });

  test("a JS exception in the handler fails OPEN, as kong-pdk turns it into ret (the request is proxied)", async () => {
    const res = await host.request({ path: "/thrown", headers: probe({ throwAfter: true }) });
    expect(res).toMatchObject({ status: 200, proxied: true });
    expect(echo.seen.some((s) => s.url === "/thrown")).toBe(true);
  });
});

describe("log phase (checklist 9)", () => {
  test("runs after the response, answering getters from the values saved at response time", async () => {
    const logCalls: ProbeCall[] = [
      ["kong.response.getStatus"],
      ["kong.response.getHeader", "X-Upstream"],
      ["kong.response.getHeader", "x-from-access"],
      ["kong.request.getHeader", "x-probe-results"],
      ["kong.client.getConsumer"],
      ["kong.ctx.shared.get", "mark"],
    ];
    const res = await host.request({
      path: "/logged",
      headers: probe({
        calls: [["kong.response.setHeader", "x-from-access", "yes"], ["kong.ctx.shared.set", "mark", { n: 1 }], ["kong.client.authenticate", { id: "c9" }]],
        log: logCalls,
      }),
    });
    expect(res.status).toBe(200);
    const notYet = host.logs().some((l) => l.message.includes("probe-log"));
    expect(notYet).toBe(false);
    await host.idle();
    const line = host.logs().find((l) => l.source === "plugin" && l.message.includes("probe-log"));
    expect(line?.level).toBe("notice");
    const results = JSON.parse(timerLineText(line!.message).replace("[probe] probe-log ", "")) as unknown[];
    expect(results).toEqual([200, "service", "yes", '[{"$undefined":true},{"$undefined":true},{"$undefined":true}]', { id: "c9" }, { n: 1 }]);
  });

  test("kong.log.serialize works in the log phase and returns a JSON string", async () => {
    await host.request({ path: "/ser?x=1", headers: probe({ log: [["kong.log.serialize"]] }) });
    await host.idle();
    const line = host.logs().filter((l) => l.message.includes("probe-log")).at(-1);
    const [serialized] = JSON.parse(timerLineText(line!.message).replace("[probe] probe-log ", "")) as [string];
    expect(JSON.parse(serialized)).toMatchObject({ request: { method: "GET", uri: "/ser?x=1" }, response: { status: 200 } });
  });

  test("request getters that need ngx.var raise in the log timer: logged, the response is unaffected", async () => {
    const res = await host.request({ path: "/timer", headers: probe({ log: [["kong.request.getPath"]] }) });
    expect(res.status).toBe(200);
    await host.idle();
    expect(host.logs().some((l) => l.level === "err" && l.message.includes("API disabled in the context of ngx.timer"))).toBe(true);
  });
});

describe("round trips (checklist 11)", () => {
  test("HandleEvent and every Step count one each; exit is the last one", async () => {
    host.clearRpcTrace();
    const three: ProbeCall[] = [["kong.request.getMethod"], ["kong.request.getPath"], ["kong.client.getIp"]];
    const res = await host.request({ path: "/", headers: probe({ calls: three, reply: 200 }) });
    expect(res.roundTrips).toBe(5); // HandleEvent→get_header, Step×3 calls, Step→exit
    expect(await accessEventRpcs(host)).toHaveLength(res.roundTrips);

    const idle = await host.request({ path: "/" });
    expect(idle.roundTrips).toBe(2); // HandleEvent→get_header, Step→ret
    const rejected = await exitHost.request({ path: "/" });
    expect(rejected.roundTrips).toBe(1);
  });
});

/** A line logged from the log phase (a timer): nginx appends only the timer context, never the request line. */
function timerLineText(message: string): string {
  const at = message.indexOf(", context: ngx.timer, client: ");
  expect(at).toBeGreaterThan(0);
  expect(message.slice(at)).not.toContain("request:");
  return message.slice(0, at);
}
