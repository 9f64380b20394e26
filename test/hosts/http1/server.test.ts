// The shared HTTP/1 byte front: framing, keep-alive, pipelining, refusals and resets, independent of a proxy's rules.
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { OriginWireRules } from "../../../dev/hosts/http1/origin-rules.js";
import { listenHttp1, type ListeningFront } from "../../../dev/hosts/http1/server.js";
import type { Http1Request, Http1Response } from "../../../dev/hosts/http1/types.js";
import { rawHeader, rawRequest, RawConnection } from "../../support/raw-http.js";

let front: ListeningFront;
const closes: boolean[] = [];

async function handler(req: Http1Request, exchange: { onClose(l: (completed: boolean) => void): void }): Promise<Http1Response | null> {
  exchange.onClose((completed) => closes.push(completed));
  const chunks: Buffer[] = [];
  if (req.body) for await (const chunk of req.body) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks);
  if (req.head.target === "/reset") return null;
  if (req.head.target === "/stream") return { status: 200, headers: [], body: Readable.from([Buffer.from("ab"), Buffer.from("cd")]) };
  const echo = { target: Buffer.from(req.head.target, "latin1").toString("hex"), body: body.toString("latin1"), headers: req.head.headers.length };
  return { status: 200, headers: [["x-bytes", "caf\xe9"]], body: Buffer.from(JSON.stringify(echo)) };
}

beforeAll(async () => {
  front = await listenHttp1({ rules: new OriginWireRules(), handler });
});
afterAll(() => front.close());

describe("listenHttp1", () => {
  test("response header bytes go out as they are held (latin1 byte strings)", async () => {
    const res = await rawRequest(front.port, { target: "/", headers: [["Host", "h"]] });
    expect(Buffer.from(rawHeader(res, "x-bytes") ?? "", "latin1").toString("hex")).toBe("636166e9");
  });

  test("a head arriving one byte at a time is read once complete", async () => {
    const connection = await RawConnection.open(front.port);
    try {
      for (const byte of Buffer.from("GET /caf\xe9 HTTP/1.1\r\nHost: h\r\n\r\n", "latin1")) connection.send(Buffer.from([byte]));
      const res = await connection.read();
      expect(JSON.parse(res.body.toString())).toMatchObject({ target: "2f636166e9" });
    } finally {
      connection.close();
    }
  });

  test("pipelined requests are answered in order on one connection, bodies framed by length and chunks", async () => {
    const connection = await RawConnection.open(front.port);
    try {
      connection.send(Buffer.from(
        "POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nxyz"
        + "POST /b HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n2;ext=1\r\nhi\r\n0\r\nTrailer: t\r\n\r\n"
        + "GET /c HTTP/1.1\r\nHost: h\r\n\r\n", "latin1"));
      const bodies = [];
      for (let i = 0; i < 3; i++) bodies.push(JSON.parse((await connection.read()).body.toString()) as { target: string; body: string });
      expect(bodies.map((b) => [Buffer.from(b.target, "hex").toString(), b.body])).toEqual([["/a", "xyz"], ["/b", "hi"], ["/c", ""]]);
    } finally {
      connection.close();
    }
  });

  test("a malformed chunk size is refused with the rules' 400 and the connection closed", async () => {
    const connection = await RawConnection.open(front.port);
    try {
      connection.send(Buffer.from("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "latin1"));
      expect((await connection.read()).status).toBe(400);
      await connection.waitClosed();
    } finally {
      connection.close();
    }
  });

  test("a head that never ends is judged at the rules' byte limit, without waiting for more", async () => {
    const connection = await RawConnection.open(front.port);
    try {
      connection.send(Buffer.from(`GET / HTTP/1.1\r\nX-Long: ${"a".repeat(70 * 1024)}`, "latin1"));
      expect((await connection.read()).status).toBe(431);
      await connection.waitClosed();
    } finally {
      connection.close();
    }
  });

  test("a stream body without Content-Length goes out chunked; HEAD gets the head only", async () => {
    const streamed = await rawRequest(front.port, { target: "/stream", headers: [["Host", "h"]] });
    expect(rawHeader(streamed, "transfer-encoding")).toBe("chunked");
    expect(streamed.body.toString()).toBe("abcd");
    const head = await rawRequest(front.port, { method: "HEAD", target: "/", headers: [["Host", "h"]] }, { noBody: true });
    expect(Number(rawHeader(head, "content-length"))).toBeGreaterThan(0);
    expect(head.body.length).toBe(0);
  });

  test("a handler answering null resets the connection; onClose reports whether the response completed", async () => {
    closes.length = 0;
    await rawRequest(front.port, { target: "/", headers: [["Host", "h"]] });
    const connection = await RawConnection.open(front.port);
    try {
      connection.send({ target: "/reset", headers: [["Host", "h"]] });
      await expect(connection.read()).rejects.toThrow(/closed before a full response/);
    } finally {
      connection.close();
    }
    expect(closes).toEqual([true, false]);
  });

  test("Connection: close and HTTP/1.0 without keep-alive close after the response", async () => {
    for (const spec of [{ target: "/", headers: [["Host", "h"], ["Connection", "close"]] as Array<[string, string]> }, { target: "/", version: "HTTP/1.0", headers: [] }]) {
      const connection = await RawConnection.open(front.port);
      try {
        connection.send(spec);
        const res = await connection.read();
        expect(rawHeader(res, "connection")).toBe("close");
        await connection.waitClosed();
      } finally {
        connection.close();
      }
    }
  });
});
