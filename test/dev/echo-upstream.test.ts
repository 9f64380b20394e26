import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { request } from "node:http";
import { createEchoUpstream, parseUpstreamArgs } from "../../dev/upstream/index.js";
import type { ListeningUpstream, UpstreamVariant } from "../../dev/upstream/index.js";
import { rawRequest } from "../support/raw-http.js";
import { http, jsonOf } from "./http-client.js";

const running: ListeningUpstream[] = [];
const urls = new Map<UpstreamVariant, string>();

beforeAll(async () => {
  for (const variant of ["stable", "canary"] as const) {
    const listening = await createEchoUpstream(variant).listen(0);
    running.push(listening);
    urls.set(variant, listening.url);
  }
});
afterAll(() => Promise.all(running.map((r) => r.close())));

describe("echo upstream", () => {
  it.each(["stable", "canary"] as const)("%s reports its variant, the method, the path with query and the body size", async (variant) => {
    const response = await http(`${urls.get(variant)}/orders/42?expand=items`, {
      method: "PUT",
      headers: { "content-type": "application/json", "X-Auth-Subject": "alice" },
      body: '{"qty":3}',
    });
    expect(response.status).toBe(200);
    expect(response.headers["content-type"]).toBe("application/json");
    expect(jsonOf(response)).toMatchObject({
      variant,
      method: "PUT",
      path: "/orders/42?expand=items",
      bodyBytes: 9,
      headers: { "x-auth-subject": "alice", "content-type": "application/json" },
    });
  });

  it("echoes the raw bytes of the target and of every header line, in order, as hex", async () => {
    const port = Number(new URL(urls.get("stable")!).port);
    const res = await rawRequest(port, { target: "/caf\xe9;x=1?q=\xff", headers: [["Host", "h"], ["X_Odd.Name", "v\xe9 \x80"], ["X-Dup", "1"], ["X-Dup", "2"]] });
    expect(res.status).toBe(200);
    const hex = (s: string): string => Buffer.from(s, "latin1").toString("hex");
    expect(JSON.parse(res.body.toString("utf8"))).toMatchObject({
      path: "/caf\xe9;x=1?q=\xff",
      headers: { "x_odd.name": "v\xe9 \x80", "x-dup": "1, 2" },
      bytes: { target: hex("/caf\xe9;x=1?q=\xff"), headers: [[hex("Host"), hex("h")], [hex("X_Odd.Name"), hex("v\xe9 \x80")], [hex("X-Dup"), "31"], [hex("X-Dup"), "32"]] },
    });
  });

  it("lower-cases header names and joins repeated headers with ', '", async () => {
    const body = await new Promise<string>((resolve, reject) => {
      const req = request(`${urls.get("stable")}/`, { agent: false }, (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (text += chunk));
        res.on("end", () => resolve(text));
      });
      req.on("error", reject);
      req.setHeader("X-Tag", ["a", "b"]);
      req.setHeader("Baggage", "canary=1");
      req.end();
    });
    const headers = (JSON.parse(body) as { headers: Record<string, string> }).headers;
    expect(headers["x-tag"]).toBe("a, b");
    expect(headers.baggage).toBe("canary=1");
    expect(Object.keys(headers).every((name) => name === name.toLowerCase())).toBe(true);
  });

  it("answers any method, including ones without a body, and keeps the connection alive", async () => {
    const response = await fetch(`${urls.get("canary")}/healthz`, { method: "DELETE" });
    expect(response.status).toBe(200);
    expect(response.headers.get("connection")).toBe("keep-alive");
    expect(await response.json()).toMatchObject({ variant: "canary", method: "DELETE", bodyBytes: 0 });
  });

  it("rejects an unknown variant", () => {
    expect(() => createEchoUpstream("blue" as UpstreamVariant)).toThrow(/variant must be one of stable, canary/);
  });
});

describe("upstream arguments", () => {
  it("takes flags over environment and defaults the port per variant", () => {
    expect(parseUpstreamArgs(["--variant", "canary"], {})).toEqual({ ok: true, value: { variant: "canary", port: 9102, host: "127.0.0.1" } });
    expect(parseUpstreamArgs([], { UPSTREAM_VARIANT: "canary", UPSTREAM_PORT: "7000" })).toEqual({
      ok: true,
      value: { variant: "canary", port: 7000, host: "127.0.0.1" },
    });
    expect(parseUpstreamArgs(["--port=0"], { UPSTREAM_PORT: "7000" })).toMatchObject({ ok: true, value: { variant: "stable", port: 0 } });
  });

  it.each([
    [["--variant", "blue"], /variant/],
    [["--port", "70000"], /port/],
    [["--port"], /--port needs a value/],
    [["--verbose"], /unknown argument '--verbose'/],
  ])("rejects %j with a clear error", (argv, message) => {
    const parsed = parseUpstreamArgs(argv, {});
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error).toMatch(message);
  });
});
