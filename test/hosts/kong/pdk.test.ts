// The fake PDK's answers, observed from inside the real plugin server (the probe fixture reports what JS got)
// and at the upstream (what Kong would have proxied).
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { KongHost } from "../../../dev/hosts/kong/gateway.js";
import { fixture, probe, probeReply, startEcho, type EchoServer, type ProbeCall } from "./helpers.js";

let service: EchoServer;
let canaryA: EchoServer;
let canaryB: EchoServer;
let target: EchoServer;
let host: KongHost;
/** A Service whose host is an IP address (balancer type ipv4), a Route with preserve_host, Kong at log_level info. */
let ipHost: KongHost;

beforeAll(async () => {
  [service, canaryA, canaryB, target] = await Promise.all([startEcho("service"), startEcho("canary-a"), startEcho("canary-b"), startEcho("target")]);
  const upstreams = {
    "canary-up": [canaryA.url, `127.0.0.1:${canaryB.port}`],
    "named-up": { targets: [`canary.internal:${canaryA.port}`], hostHeader: "canary.example" },
  };
  [host, ipHost] = await Promise.all([
    KongHost.start({
      pluginsDir: fixture("probe"),
      config: {},
      serviceUrl: `http://localhost:${service.port}`,
      upstreams,
      hosts: { "canary.internal": "127.0.0.1" },
      trustedIps: ["10.9.9.9"],
    }),
    KongHost.start({ pluginsDir: fixture("probe"), config: {}, serviceUrl: service.url, upstreams, preserveHost: true, logLevel: "info" }),
  ]);
});

afterAll(async () => {
  await Promise.all([host?.close(), ipHost?.close()]);
  await Promise.all([service, canaryA, canaryB, target].map((s) => s.close()));
});

async function results(calls: ProbeCall[], request: Partial<Parameters<KongHost["request"]>[0]> = {}): Promise<unknown[]> {
  const res = await host.request({ path: "/", ...request, headers: { ...request.headers, ...probe({ calls, reply: 200 }) } });
  expect(res.status).toBe(200);
  return probeReply(res.body).results;
}

describe("kong.request", () => {
  test("method, scheme, host, port, paths and query are answered from the incoming request", async () => {
    const got = await results(
      [
        ["kong.request.getMethod"],
        ["kong.request.getScheme"],
        ["kong.request.getHost"],
        ["kong.request.getPort"],
        ["kong.request.getPath"],
        ["kong.request.getRawPath"],
        ["kong.request.getPathWithQuery"],
        ["kong.request.getRawQuery"],
        ["kong.request.getQuery"],
        ["kong.request.getQueryArg", "q"],
        ["kong.request.getHttpVersion"],
      ],
      { method: "POST", path: "/a/./b/../c//d%7e?q=x+y&q=2&e=", headers: { Host: "API.Example.com:8443" } },
    );
    expect(got).toEqual(["POST", "http", "api.example.com", 8000, "/a/c/d~", "/a/./b/../c//d%7e", "/a/./b/../c//d%7e?q=x+y&q=2&e=", "q=x+y&q=2&e=", { q: ["x y", "2"], e: [""] }, "x y", 1.1]);
  });

  test("get_header is case-insensitive, matches _ for -, gives the first value, and nil when absent", async () => {
    const got = await results(
      [
        ["kong.request.getHeader", "X-Multi"],
        ["kong.request.getHeader", "x_multi"],
        ["kong.request.getHeader", "x-none"],
      ],
      { headers: { "x-multi": ["one", "two"] } },
    );
    expect(got).toEqual(["one", "one", { $undefined: true }]);
  });

  test("get_headers is a lowercase multimap of string arrays, limited to max (default 100)", async () => {
    const many: Record<string, string> = {};
    for (let i = 0; i < 120; i += 1) many[`x-h${i}`] = String(i);
    const [all, two] = (await results([["kong.request.getHeaders"], ["kong.request.getHeaders", 2]], { headers: { "X-Multi": ["a", "b"], ...many } })) as Array<Record<string, string[]>>;
    expect(all?.["x-multi"]).toEqual(["a", "b"]);
    // max counts header lines, as ngx.req.get_headers does: x-multi takes two of the 100.
    expect(Object.values(all ?? {}).flat()).toHaveLength(100);
    expect(two).toEqual({ "x-multi": ["a", "b"] });
  });

  test("get_raw_body arrives in JS as a Uint8Array (msgpack bin)", async () => {
    const [body] = await results([["kong.request.getRawBody"]], { method: "POST", body: "héllo" });
    expect(body).toEqual({ $bytes: "héllo" });
  });
});

describe("kong.client", () => {
  test("get_ip is the peer; get_forwarded_ip follows X-Real-IP only from a trusted peer", async () => {
    expect(await results([["kong.client.getIp"], ["kong.client.getForwardedIp"]], { clientIp: "192.0.2.7", headers: { "x-real-ip": "203.0.113.1" } })).toEqual([
      "192.0.2.7",
      "192.0.2.7",
    ]);
    expect(await results([["kong.client.getIp"], ["kong.client.getForwardedIp"]], { clientIp: "10.9.9.9", headers: { "x-real-ip": "203.0.113.1" } })).toEqual([
      "10.9.9.9",
      "203.0.113.1",
    ]);
  });

  test("authenticate sets the consumer/credential that get_consumer, get_credential and nginx ctx see", async () => {
    const got = await results([
      ["kong.client.getConsumer"],
      ["kong.client.authenticate", { id: "u-1", username: "ann" }],
      ["kong.client.getConsumer"],
      ["kong.client.getCredential"],
      ["kong.nginx.getCtx", "authenticated_consumer"],
    ]);
    expect(got).toEqual([{ $undefined: true }, { $undefined: true }, { id: "u-1", username: "ann" }, { $undefined: true }, { id: "u-1", username: "ann" }]);
  });
});

describe("kong.service", () => {
  test("service.request setters shape the upstream request, and later kong.request getters see the change", async () => {
    const res = await host.request({
      method: "GET",
      path: "/orig?keep=1",
      headers: {
        "x-drop": "bye",
        "x-keep": "stay",
        ...probe({
          calls: [
            ["kong.service.request.setHeader", "x-set", "v1"],
            ["kong.service.request.addHeader", "x-set", "v2"],
            ["kong.service.request.setHeaders", { "x-bulk": "b", "x-num": 7 }],
            ["kong.service.request.clearHeader", "x-drop"],
            ["kong.service.request.setPath", "/new path"],
            ["kong.service.request.setRawQuery", "a=1"],
            ["kong.service.request.setMethod", "PUT"],
            ["kong.request.getHeader", "x-set"],
            ["kong.request.getMethod"],
          ],
        }),
      },
    });
    expect(res).toMatchObject({ status: 200, proxied: true, upstream: service.url });
    const seen = service.seen.at(-1)!;
    expect(seen.headers.host).toBe(`localhost:${service.port}`);
    expect(seen.method).toBe("PUT");
    expect(seen.url).toBe("/new%20path?a=1");
    expect(seen.headers).toMatchObject({ "x-set": "v1, v2", "x-bulk": "b", "x-num": "7", "x-keep": "stay" });
    expect(seen.headers["x-drop"]).toBeUndefined();
    const probeResults = JSON.parse(seen.headers["x-probe-results"] as string) as unknown[];
    expect(probeResults.slice(-2)).toEqual(["v1", "PUT"]);
  });

  test("Kong adds its proxy headers upstream: X-Forwarded-*, X-Real-IP and X-Kong-Request-Id = nginx var request_id", async () => {
    const res = await host.request({ path: "/fw", clientIp: "192.0.2.44", headers: probe({ calls: [["kong.nginx.getVar", "request_id"]] }) });
    const seen = service.seen.at(-1)!;
    const [requestId] = JSON.parse(seen.headers["x-probe-results"] as string) as [string];
    expect(requestId).toMatch(/^[0-9a-f]{32}$/);
    expect(seen.headers).toMatchObject({ "x-forwarded-for": "192.0.2.44", "x-real-ip": "192.0.2.44", "x-forwarded-proto": "http", "x-kong-request-id": requestId });
    expect(res.headers["x-kong-request-id"]).toBe(requestId);
  });

  test("set_upstream on a Service with a hostname picks the Upstream (round-robin over its targets); Host is the target's host:port", async () => {
    const before = [canaryA.seen.length, canaryB.seen.length];
    const first = await host.request({ path: "/c1", headers: probe({ calls: [["kong.service.setUpstream", "canary-up"]] }) });
    const second = await host.request({ path: "/c2", headers: probe({ calls: [["kong.service.setUpstream", "canary-up"]] }) });
    expect([first.upstream, second.upstream]).toEqual(["canary-up", "canary-up"]);
    expect([canaryA.seen.length - before[0]!, canaryB.seen.length - before[1]!]).toEqual([1, 1]);
    expect(JSON.parse(canaryA.seen.at(-1)!.headers["x-probe-results"] as string)).toEqual([true]);
    expect(canaryA.seen.at(-1)!.headers.host).toBe(`127.0.0.1:${canaryA.port}`);
    expect(canaryB.seen.at(-1)!.headers.host).toBe(`127.0.0.1:${canaryB.port}`);
  });

  test("an Upstream's host_header is the Host sent, with the target's port unless it is the scheme's default", async () => {
    const res = await host.request({ path: "/named", headers: probe({ calls: [["kong.service.setUpstream", "named-up"]] }) });
    expect(res).toMatchObject({ status: 200, upstream: "named-up" });
    expect(canaryA.seen.at(-1)).toMatchObject({ url: "/named", headers: { host: `canary.example:${canaryA.port}` } });
  });

  test("set_target with a hostname on a hostname Service resolves it and sends the bare hostname as Host", async () => {
    const res = await host.request({ path: "/by-name", headers: probe({ calls: [["kong.service.setTarget", "localhost", target.port]] }) });
    expect(res.status).toBe(200);
    expect(target.seen.at(-1)).toMatchObject({ url: "/by-name", headers: { host: "localhost" } });
  });

  test("an IP Service keeps balancer type ipv4: set_upstream returns true, then the Upstream name is used as an IP → Kong's 500", async () => {
    const seenBefore = canaryA.seen.length + canaryB.seen.length;
    const res = await ipHost.request({ path: "/ip-upstream", headers: probe({ calls: [["kong.service.setUpstream", "canary-up"]] }) });
    expect(res).toMatchObject({ status: 500, proxied: false });
    expect(JSON.parse(res.body)).toEqual({ message: "An unexpected error occurred", request_id: res.headers["x-kong-request-id"] });
    expect(canaryA.seen.length + canaryB.seen.length).toBe(seenBefore);
    const port = new URL(service.url).port;
    expect(ipHost.logs().some((l) => l.level === "err" && l.message.startsWith(`failed to set the current peer (address: canary-up port: ${port}): no host allowed, client: `))).toBe(true);
  });

  test("an IP Service: set_target with a hostname fails the same way; with an IP address it works", async () => {
    const byName = await ipHost.request({ path: "/ip-by-name", headers: probe({ calls: [["kong.service.setTarget", "localhost", target.port]] }) });
    expect(byName.status).toBe(500);
    const byIp = await ipHost.request({ path: "/ip-by-ip", headers: probe({ calls: [["kong.service.setTarget", "127.0.0.1", target.port]] }) });
    expect(byIp.status).toBe(200);
    expect(target.seen.at(-1)).toMatchObject({ url: "/ip-by-ip", headers: { host: "127.0.0.1" } });
  });

  test("preserve_host sends the client's Host; set_target still overrides it", async () => {
    await ipHost.request({ path: "/kept", headers: { host: "api.example.test", ...probe({}) } });
    expect(service.seen.at(-1)).toMatchObject({ url: "/kept", headers: { host: "api.example.test" } });
    await ipHost.request({ path: "/kept-target", headers: { host: "api.example.test", ...probe({ calls: [["kong.service.setTarget", "127.0.0.1", target.port]] }) } });
    expect(target.seen.at(-1)).toMatchObject({ url: "/kept-target", headers: { host: "127.0.0.1" } });
  });

  test("set_header/clear_header match names exactly (case-insensitive, no _/- folding): a client's x_auth_subject survives", async () => {
    await host.request({
      path: "/exact",
      headers: {
        "x_auth_subject": "forged-underscore",
        "X-Auth-Subject": "forged-dash",
        "x_auth_groups": "forged-groups",
        ...probe({
          calls: [
            ["kong.service.request.clearHeader", "x-auth-groups"],
            ["kong.service.request.setHeaders", { "x-auth-subject": "alice" }],
            ["kong.request.getHeader", "x-auth-groups"],
          ],
        }),
      },
    });
    const seen = service.seen.at(-1)!;
    expect(seen.headers).toMatchObject({ "x-auth-subject": "alice", "x_auth_subject": "forged-underscore", "x_auth_groups": "forged-groups" });
    // Reads still fold `_` and `-` as ngx.req.get_headers() / $http_* do: the survivor is visible to a getter.
    expect((JSON.parse(seen.headers["x-probe-results"] as string) as unknown[]).at(-1)).toBe("forged-groups");
  });

  test("set_upstream with an unknown name returns nil and the Service URL is used", async () => {
    const res = await host.request({ path: "/nope", headers: probe({ calls: [["kong.service.setUpstream", "no-such-upstream"]] }) });
    expect(res.upstream).toBe(service.url);
    expect(JSON.parse(service.seen.at(-1)!.headers["x-probe-results"] as string)).toEqual([{ $undefined: true }]);
  });

  test("set_target sends the request to host:port with that Host, overriding set_upstream", async () => {
    const res = await host.request({
      path: "/t",
      headers: probe({ calls: [["kong.service.setUpstream", "canary-up"], ["kong.service.setTarget", "127.0.0.1", target.port]] }),
    });
    expect(res.upstream).toBe(target.url);
    expect(target.seen.at(-1)).toMatchObject({ url: "/t", headers: { host: "127.0.0.1" } });
  });
});

describe("kong.response (access phase)", () => {
  test("headers set in access are ADDED next to the upstream's of the same name (lua-nginx-module#2386); _ becomes -", async () => {
    const res = await host.request({
      path: "/",
      headers: probe({
        calls: [
          ["kong.response.setHeader", "x-upstream", "from-access"],
          ["kong.response.setHeader", "content-type", "text/x-access"],
          ["kong.response.addHeader", "x-added", "1"],
          ["kong.response.addHeader", "x-added", "2"],
          ["kong.response.setHeaders", { "x-bulk": ["p", "q"], "x_under_score": "u" }],
        ],
      }),
    });
    expect(res.proxied).toBe(true);
    expect(res.headers).toMatchObject({ "x-upstream": ["service", "from-access"], "x-added": ["1", "2"], "x-bulk": ["p", "q"], "x-under-score": "u", via: "1.1 kong/3.9.1" });
    expect(res.headers["x_under_score"]).toBeUndefined();
    expect(res.headers["content-type"]).toBe("application/json"); // nginx keeps one Content-Type: the upstream's
  });

  test("proxy_hide_header drops the upstream's copy and keeps the one set in access", async () => {
    const hiding = await KongHost.start({ pluginsDir: fixture("probe"), config: {}, serviceUrl: service.url, hideUpstreamHeaders: ["X-Upstream"] });
    try {
      const res = await hiding.request({ path: "/", headers: probe({ calls: [["kong.response.setHeader", "x-upstream", "from-access"]] }) });
      expect(res.headers["x-upstream"]).toBe("from-access");
    } finally {
      await hiding.close();
    }
  });
});

describe("kong.ctx, kong.nginx, kong.log, kong.router, kong.plugin, kong.node", () => {
  test("ctx.shared and nginx ctx keep values for the request", async () => {
    const got = await results([
      ["kong.ctx.shared.set", "k", { deep: [1, 2] }],
      ["kong.ctx.shared.get", "k"],
      ["kong.nginx.setCtx", "c", "v"],
      ["kong.nginx.getCtx", "c"],
      ["kong.ctx.shared.get", "other"],
    ]);
    expect(got.slice(1)).toEqual([{ deep: [1, 2] }, { $undefined: true }, "v", { $undefined: true }]);
  });

  test("kong.log.* lands in Kong's log namespaced with the plugin name and ending with nginx's request context", async () => {
    const res = await host.request({
      path: "/ctx?access_token=tok-in-query",
      headers: { referer: "https://app.example/r", ...probe({ calls: [["kong.log.warn", "careful ", 3, " ", true]], reply: 200 }) },
    });
    const line = host.logs().find((l) => l.source === "plugin" && l.message.startsWith("[probe] careful 3 true"));
    expect(line?.level).toBe("warn");
    expect(line?.message).toBe(`[probe] careful 3 true, client: 127.0.0.1, server: kong, request: "GET /ctx?access_token=tok-in-query HTTP/1.1", ` +
      `host: "localhost:8000", referrer: "https://app.example/r", request_id: "${String(res.headers["x-kong-request-id"])}"`);
  });

  test("log_level notice (Kong's default) drops info and debug, the plugin server's own output included", async () => {
    await results([["kong.log.notice", "n-default"], ["kong.log.info", "i-default"], ["kong.log.debug", "d-default"]]);
    const messages = host.logs().map((l) => l.message);
    expect(messages.some((m) => m.startsWith("[probe] n-default, client: "))).toBe(true);
    expect(messages.some((m) => m.includes("i-default") || m.includes("d-default"))).toBe(false);
    expect(host.logs().filter((l) => l.source === "server")).toEqual([]);
  });

  test("log_level info keeps info (and the plugin server's output, which Kong logs at info), still drops debug", async () => {
    const res = await ipHost.request({ path: "/", headers: probe({ calls: [["kong.log.info", "i-info"], ["kong.log.debug", "d-info"]], reply: 200 }) });
    expect(res.status).toBe(200);
    const messages = ipHost.logs().map((l) => l.message);
    expect(messages.some((m) => m.startsWith("[probe] i-info, client: "))).toBe(true);
    expect(messages.some((m) => m.includes("d-info"))).toBe(false);
    expect(ipHost.logs().some((l) => l.source === "server" && l.level === "info" && /^\[probe:\d+\] /.test(l.message))).toBe(true);
  });

  test("router, plugin and node ids match what the host configured", async () => {
    const [route, svc, pluginId, nodeId] = (await results([["kong.router.getRoute"], ["kong.router.getService"], ["kong.plugin.getId"], ["kong.node.getId"]])) as [
      Record<string, unknown>,
      Record<string, unknown>,
      string,
      string,
    ];
    expect(route).toMatchObject({ paths: ["/"], service: { id: svc["id"] } });
    expect(svc).toMatchObject({ host: "localhost", port: service.port, protocol: "http" });
    expect(pluginId).toBe(host.instanceConfig()["__plugin_id"]);
    expect(nodeId).toMatch(/^[0-9a-f-]{36}$/);
  });
});
