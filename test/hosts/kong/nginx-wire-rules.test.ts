// The Kong host's HTTP front as nginx (Kong 3.9's configuration) reads the wire: raw bytes over a socket in,
// what the plugin server and the upstream received out. Each test fails on the old node:http front
// (non-ASCII refused, 16 KiB cap, absolute URL as the path, invalid names passed) or the old latin1→UTF-8 bytes.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { KongHost } from "../../../dev/hosts/kong/gateway.js";
import { createEchoUpstream, type EchoReply, type ListeningUpstream } from "../../../dev/upstream/index.js";
import { latin1Hex, sendRaw, RawConnection, type RawRequestSpec, type RawResponse } from "../../support/raw-http.js";
import { fixture } from "./helpers.js";

let upstream: ListeningUpstream;
let host: KongHost;
let port: number;
let strictHost: KongHost;
let strictPort: number;

beforeAll(async () => {
  upstream = await createEchoUpstream("stable").listen(0);
  host = await KongHost.start({ pluginsDir: fixture("probe"), config: {}, serviceUrl: upstream.url, traceRpc: true });
  port = (await host.listen(0)).port;
  strictHost = await KongHost.start({ pluginsDir: fixture("probe"), config: {}, serviceUrl: upstream.url, nginx: { underscoresInHeaders: false } });
  strictPort = (await strictHost.listen(0)).port;
}, 60_000);

afterAll(async () => {
  await host?.close();
  await strictHost?.close();
  await upstream?.close();
});

const hex = latin1Hex;

function send(target: string, headers: Array<[string, string]> = [], extra: Partial<RawRequestSpec> = {}, to = port): Promise<RawResponse> {
  return sendRaw(to, target, headers, extra);
}

function echoOf(res: RawResponse): EchoReply {
  return JSON.parse(res.body.toString("utf8")) as EchoReply;
}

/** The probe fixture's instructions, as the UTF-8 bytes of their JSON. */
function probeHeader(calls: unknown[][]): [string, string] {
  return ["x-probe", Buffer.from(JSON.stringify({ calls }), "utf8").toString("latin1")];
}

/** What the host answered (the Step argument) to the last PDK call of that name: a byte string, as it went out. */
function findStepResult(method: string): unknown {
  const trace = host.rpcTrace();
  for (let i = trace.length - 1; i > 0; i--) {
    const asked = trace[i - 1]?.result as { Data?: { Method?: string } } | undefined;
    if (asked?.Data?.Method === method) return (trace[i]?.arg as { Data?: unknown } | undefined)?.Data;
  }
  return undefined;
}

describe("request target (ngx_http_parse_request_line)", () => {
  test("raw non-ASCII bytes and ';' in the path and query are accepted and reach the upstream unchanged", async () => {
    const target = "/caf\xe9;v=1/..;/x?q=\xff&r=%E9";
    const res = await send(target);
    expect(res.status).toBe(200);
    expect(echoOf(res).bytes.target).toBe(hex(target));
  });

  test("the plugin server gets the raw path bytes as a msgpack str (get_raw_path), not a UTF-8 re-encoding", async () => {
    host.clearRpcTrace();
    const res = await send("/caf\xe9;v=1?q=\xff", [probeHeader([["kong.request.getRawPath"], ["kong.request.getPathWithQuery"]])]);
    expect(res.status).toBe(200);
    expect(findStepResult("kong.request.get_raw_path")).toBe("/caf\xe9;v=1");
    expect(findStepResult("kong.request.get_path_with_query")).toBe("/caf\xe9;v=1?q=\xff");
    // The old host re-encoded the latin1 view as UTF-8, so the plugin read "/café;v=1" with é as two bytes that
    // real Kong never delivers. meshgate-pluginserver hands the plugin the raw str as a byte string: one
    // character per byte, so 0xE9 is the one character U+00E9 (kong-pdk's lenient decoder would give U+FFFD).
    const results = JSON.parse(Buffer.from(echoOf(res).headers["x-probe-results"] ?? "[]", "latin1").toString("utf8")) as unknown[];
    expect(results[0]).toBe("/caf\u00e9;v=1");
    expect(results[1]).toBe("/caf\u00e9;v=1?q=\u00ff");
  });

  test("an absolute-form target gives the plugin and the upstream the path only, as nginx does", async () => {
    host.clearRpcTrace();
    const res = await send("http://other.example:8080/p;x?q=1", [probeHeader([["kong.request.getRawPath"], ["kong.request.getPathWithQuery"]])]);
    expect(res.status).toBe(200);
    expect(findStepResult("kong.request.get_raw_path")).toBe("/p;x");
    expect(findStepResult("kong.request.get_path_with_query")).toBe("/p;x?q=1");
    expect(echoOf(res).path).toBe("/p;x?q=1");
  });

  test("control bytes in the target, '..' above the root and %00 are refused with Kong's 400 body", async () => {
    for (const target of ["/a\x01b", "/../admin", "/a/%2e%2e/%2E%2E/admin", "/a%00b", "/a%zz"]) {
      const res = await send(target, [["Accept", "application/json"]]);
      expect(res.status, target).toBe(400);
      expect(JSON.parse(res.body.toString("utf8")), target).toMatchObject({ message: "Bad request" });
    }
  });

  test("HTTP/2.0 on an HTTP/1 connection gets nginx's own 505 page", async () => {
    const res = await send("/", [], { version: "HTTP/2.0" });
    expect(res.status).toBe(505);
    expect(res.body.toString("latin1")).toContain("505 HTTP Version Not Supported");
  });
});

describe("header values and bytes to and from the plugin server", () => {
  test("a raw non-ASCII header value reaches the upstream and the plugin server byte for byte", async () => {
    host.clearRpcTrace();
    const res = await send("/v", [["X-Value", "caf\xe9 \xff\x80"], probeHeader([["kong.request.getHeader", "x-value"]])]);
    expect(res.status).toBe(200);
    expect(findStepResult("kong.request.get_header")).toBe("caf\xe9 \xff\x80");
    const sent = echoOf(res).bytes.headers.find(([n]) => n === hex("X-Value"));
    expect(sent?.[1]).toBe(hex("caf\xe9 \xff\x80"));
  });

  test("a value the plugin sets travels as its UTF-8 bytes to the upstream (no latin1 downgrade, no 502)", async () => {
    const res = await send("/set", [probeHeader([["kong.service.request.setHeader", "x-set", "café €"]])]);
    expect(res.status).toBe(200);
    const sent = echoOf(res).bytes.headers.find(([n]) => Buffer.from(n, "hex").toString("latin1").toLowerCase() === "x-set");
    expect(sent?.[1]).toBe(Buffer.from("café €", "utf8").toString("hex"));
  });

  test("a response header the plugin sets reaches the client as its UTF-8 bytes", async () => {
    const res = await send("/resp", [probeHeader([["kong.response.setHeader", "x-resp", "café €"]])]);
    expect(res.status).toBe(200);
    const value = res.headers.find(([n]) => n.toLowerCase() === "x-resp")?.[1] ?? "";
    expect(hex(value)).toBe(Buffer.from("café €", "utf8").toString("hex"));
  });

  test("a NUL byte in a header value is refused with 400 (ngx_http_parse_header_line)", async () => {
    const res = await send("/", [["X-Bad", "a\x00b"]]);
    expect(res.status).toBe(400);
  });

  test("a second Authorization header is refused with 400 (a unique header in nginx)", async () => {
    const res = await send("/", [["Authorization", "Bearer a"], ["Authorization", "Bearer b"]]);
    expect(res.status).toBe(400);
  });

  test("a folded (obs-fold) continuation line is refused with 400, not folded into the value", async () => {
    const res = await send("/", [["X-A", "one"], [" two", ""]]);
    expect(res.status).toBe(400);
  });
});

describe("header names (ignore_invalid_headers on, underscores_in_headers as Kong sets it)", () => {
  test("names with '.' or '@' are dropped before the plugin and the upstream; '-' names stay", async () => {
    const res = await send("/names", [["X.Auth.Groups", "admins"], ["X@Canary", "always"], ["X-Kept", "1"], probeHeader([["kong.request.getHeaders"]])]);
    expect(res.status).toBe(200);
    const echo = echoOf(res);
    expect(echo.headers["x.auth.groups"]).toBeUndefined();
    expect(echo.headers["x@canary"]).toBeUndefined();
    expect(echo.headers["x-kept"]).toBe("1");
  });

  test("underscores are kept by default (Kong's nginx_kong.lua sets underscores_in_headers on)", async () => {
    const res = await send("/u", [["X_Canary", "always"]]);
    expect(echoOf(res).headers["x_canary"]).toBe("always");
  });

  test("with underscores_in_headers off, names holding '_' are dropped", async () => {
    const res = await send("/u", [["X_Canary", "always"], ["X-Canary", "stable"]], {}, strictPort);
    expect(res.status).toBe(200);
    expect(echoOf(res).headers["x_canary"]).toBeUndefined();
    expect(echoOf(res).headers["x-canary"]).toBe("stable");
  });
});

describe("header buffers (client_header_buffer_size 1k, large_client_header_buffers 4 8k)", () => {
  test("a request line longer than 8k gets 414 with Kong's 'URI too long' body", async () => {
    const res = await send(`/${"a".repeat(8200)}`);
    expect(res.status).toBe(414);
    expect(JSON.parse(res.body.toString("utf8"))).toMatchObject({ message: "URI too long" });
  });

  test("a header line longer than 8k gets 400 'Request header or cookie too large'", async () => {
    const res = await send("/", [["X-Big", "b".repeat(8200)]]);
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body.toString("utf8"))).toMatchObject({ message: "Request header or cookie too large" });
  });

  test("four 6 KB header lines (24 KB, over Node's 16 KiB) are accepted; a fifth does not fit the 4 buffers", async () => {
    const lines = (n: number): Array<[string, string]> => Array.from({ length: n }, (_, i) => [`X-L${i}`, "v".repeat(6000)]);
    expect((await send("/", lines(4))).status).toBe(200);
    const refused = await send("/", lines(5));
    expect(refused.status).toBe(400);
    expect(JSON.parse(refused.body.toString("utf8"))).toMatchObject({ message: "Request header or cookie too large" });
  });

  test("there is no header count limit: 2500 short header lines pass", async () => {
    const res = await send("/", Array.from({ length: 2500 }, (_, i): [string, string] => [`X-${i}`, "1"]));
    expect(res.status).toBe(200);
    expect(echoOf(res).headers["x-2499"]).toBe("1");
  });
});

describe("connection handling", () => {
  test("keep-alive: two requests on one connection, the second with a chunked body", async () => {
    const connection = await RawConnection.open(port);
    try {
      connection.send({ target: "/one", headers: [["Host", "gw.test"]] });
      expect((await connection.read()).status).toBe(200);
      connection.send(Buffer.from("POST /two HTTP/1.1\r\nHost: gw.test\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n", "latin1"));
      const second = await connection.read();
      expect(second.status).toBe(200);
      expect(JSON.parse(second.body.toString("utf8"))).toMatchObject({ path: "/two", bodyBytes: 5 });
    } finally {
      connection.close();
    }
  });

  test("HTTP/1.1 without Host is refused with 400 and the connection is closed", async () => {
    const connection = await RawConnection.open(port);
    try {
      connection.send({ target: "/", headers: [] });
      expect((await connection.read()).status).toBe(400);
      await connection.waitClosed();
    } finally {
      connection.close();
    }
  });
});
