// The Envoy host's HTTP front as Envoy's HTTP/1 codec reads the wire (Istio defaults): raw bytes over a socket
// in, what the filter saw and the upstream received out. Each test fails on the old node:http front (its bare
// 400s, its 16 KiB cap, no 100-header limit, the absolute URL as :path, HTTP/1.0 served).
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { EnvoyHost, type EnvoyHostOptions } from "../../../dev/hosts/envoy/host.js";
import { createEchoUpstream, type EchoReply, type ListeningUpstream } from "../../../dev/upstream/index.js";
import { latin1Hex, sendRaw, rawHeader, RawConnection, type RawRequestSpec, type RawResponse } from "../../support/raw-http.js";
import { compileFixture } from "./compile-fixture.js";

let upstream: ListeningUpstream;
let filter: Uint8Array;
const hosts: EnvoyHost[] = [];
let port: number;

async function gateway(extra: Partial<EnvoyHostOptions> = {}): Promise<number> {
  const host = await EnvoyHost.start({ wasm: filter, pluginConfig: "", workers: 1, clusters: { stable: upstream.url }, routes: [{ cluster: "stable" }], ...extra });
  hosts.push(host);
  return (await host.listen(0)).port;
}

beforeAll(async () => {
  upstream = await createEchoUpstream("stable").listen(0);
  filter = await compileFixture("byte-echo-filter");
  port = await gateway();
}, 60_000);

afterAll(async () => {
  await Promise.all(hosts.map((h) => h.close()));
  await upstream?.close();
});

const hex = latin1Hex;

function send(target: string, headers: Array<[string, string]> = [], extra: Partial<RawRequestSpec> = {}, to = port): Promise<RawResponse> {
  return sendRaw(to, target, headers, extra);
}

function echoOf(res: RawResponse): EchoReply {
  return JSON.parse(res.body.toString("utf8")) as EchoReply;
}

function sentHeader(echo: EchoReply, name: string): string | undefined {
  return echo.bytes.headers.find(([n]) => Buffer.from(n, "hex").toString("latin1").toLowerCase() === name)?.[1];
}

/** Envoy's codec error reply: the status text as a text/plain body, then the connection closes. */
function expectEnvoyRefusal(res: RawResponse, status: number, text: string): void {
  expect(res.status).toBe(status);
  expect(res.body.toString("latin1")).toBe(text);
  expect(rawHeader(res, "content-type")).toBe("text/plain");
  expect(rawHeader(res, "connection")).toBe("close");
}

describe("header values (nghttp2_check_header_value via HeaderUtility::headerValueIsValid)", () => {
  test("obs-text bytes in a value reach the filter's header map and the upstream byte for byte", async () => {
    const res = await send("/v", [["X-Value", "caf\xe9 \xff\x80"]]);
    expect(res.status).toBe(200);
    const echo = echoOf(res);
    expect(sentHeader(echo, "x-value")).toBe(hex("caf\xe9 \xff\x80"));
    expect(sentHeader(echo, "x-seen-value")).toBe(hex("caf\xe9 \xff\x80"));
  });

  test("a control byte in a value is refused with 400 'Bad Request' (http1.invalid_characters)", async () => {
    expectEnvoyRefusal(await send("/", [["X-Value", "a\x01b"]]), 400, "Bad Request");
  });

  test("leading and trailing spaces and tabs are trimmed from values", async () => {
    const res = await send("/", [["X-Value", " \tv a l \t "]]);
    expect(sentHeader(echoOf(res), "x-value")).toBe(hex("v a l"));
  });
});

describe("request target (balsa_parser.cc isUrlValid, codec_impl.cc handlePath)", () => {
  test("a raw non-ASCII byte in the target is refused with 400 'Bad Request' (HPE_INVALID_URL)", async () => {
    expectEnvoyRefusal(await send("/caf\xe9"), 400, "Bad Request");
    expectEnvoyRefusal(await send("/a?q=\xff"), 400, "Bad Request");
  });

  test("';', '..;', '\\\\' and %-escapes pass: :path is the target byte for byte, in the filter and upstream", async () => {
    const target = "/public/..;/admin;x=1/a\\b/%2e%2E?q=%ff";
    const res = await send(target);
    expect(res.status).toBe(200);
    const echo = echoOf(res);
    expect(echo.bytes.target).toBe(hex(target));
    expect(sentHeader(echo, "x-seen-path")).toBe(hex(target));
  });

  test("an absolute-form target: :path is its path and query, the Host header is replaced by its authority", async () => {
    const res = await send("http://other.example:8080/p;x?q=1");
    expect(res.status).toBe(200);
    const echo = echoOf(res);
    expect(echo.path).toBe("/p;x?q=1");
    expect(echo.headers.host).toBe("other.example:8080");
    expect(sentHeader(echo, "x-seen-path")).toBe(hex("/p;x?q=1"));
  });

  test("HTTP/1.0 is answered 426 Upgrade Required (accept_http_10 is off)", async () => {
    const res = await send("/", [], { version: "HTTP/1.0" });
    expect(res.status).toBe(426);
  });
});

describe("header names", () => {
  test("'.' and '_' are token characters: kept (headers_with_underscores_action ALLOW)", async () => {
    const res = await send("/", [["X.Auth.Groups", "admins"], ["X_Canary", "always"]]);
    expect(res.status).toBe(200);
    expect(echoOf(res).headers).toMatchObject({ "x.auth.groups": "admins", x_canary: "always" });
  });

  test("a name with '@' or a byte ≥ 0x80 is refused with 400", async () => {
    expectEnvoyRefusal(await send("/", [["X@Canary", "always"]]), 400, "Bad Request");
    expectEnvoyRefusal(await send("/", [["X-Caf\xe9", "1"]]), 400, "Bad Request");
  });

  test("a folded continuation line is refused with 400", async () => {
    expectEnvoyRefusal(await send("/", [["X-A", "one"], [" two", ""]]), 400, "Bad Request");
  });

  test("headers_with_underscores_action DROP_HEADER drops, REJECT_REQUEST refuses", async () => {
    const drop = await gateway({ wire: { headersWithUnderscores: "DROP_HEADER" } });
    const dropped = await send("/", [["X_Canary", "always"], ["X-Kept", "1"]], {}, drop);
    expect(echoOf(dropped).headers).toMatchObject({ "x-kept": "1" });
    expect(echoOf(dropped).headers.x_canary).toBeUndefined();
    const reject = await gateway({ wire: { headersWithUnderscores: "REJECT_REQUEST" } });
    expectEnvoyRefusal(await send("/", [["X_Canary", "always"]], {}, reject), 400, "Bad Request");
  });
});

describe("limits (max_headers_count 100, max_request_headers_kb 60)", () => {
  const many = (n: number): Array<[string, string]> => Array.from({ length: n }, (_, i) => [`x-h${i}`, "1"]);

  test("100 header lines (Host included) pass; 101 get 431 'Request Header Fields Too Large'", async () => {
    expect((await send("/", many(99))).status).toBe(200);
    expectEnvoyRefusal(await send("/", many(100)), 431, "Request Header Fields Too Large");
  });

  test("a 40 KB head passes (over Node's 16 KiB); a 61 KB head gets 431", async () => {
    expect((await send("/", [["X-Big", "b".repeat(40_000)]])).status).toBe(200);
    expectEnvoyRefusal(await send("/", [["X-Big", "b".repeat(61 * 1024)]]), 431, "Request Header Fields Too Large");
  });
});

describe("connection handling", () => {
  test("keep-alive with a chunked body, then a refusal closes the connection", async () => {
    const connection = await RawConnection.open(port);
    try {
      connection.send(Buffer.from("POST /c HTTP/1.1\r\nHost: gw.test\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n0\r\n\r\n", "latin1"));
      const first = await connection.read();
      expect(first.status).toBe(200);
      expect(echoOf(first).bodyBytes).toBe(4);
      connection.send({ target: "/caf\xe9", headers: [["Host", "gw.test"]] });
      expect((await connection.read()).status).toBe(400);
      await connection.waitClosed();
    } finally {
      connection.close();
    }
  });

  test("an unknown Transfer-Encoding is answered 501", async () => {
    const res = await send("/", [["Transfer-Encoding", "gzip"]], { method: "POST" });
    expectEnvoyRefusal(res, 501, "Not Implemented");
  });
});
