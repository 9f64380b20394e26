// Kong sends request header values as MessagePack `str` holding the client's raw bytes. meshgate-pluginserver
// hands them to the plugin as byte strings (one character per byte), not through @msgpack/msgpack's lenient UTF-8
// decoder: spoken here on the raw socket, as Kong's cosocket would, so no dev host re-encodes anything.
import { connect, type Socket } from "node:net";
import { decodeMulti, encode } from "@msgpack/msgpack";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { KongHost } from "../../dev/hosts/kong/gateway.js";
import { startEcho, type EchoServer } from "../hosts/kong/helpers.js";
import { KongHosts } from "./support.js";

const hosts = new KongHosts();
let upstream: EchoServer;
let host: KongHost;

beforeAll(async () => {
  upstream = await startEcho("service");
  // The auth service is never reached by these requests (malformed tokens are refused before any call).
  host = await hosts.start({ auth: { service: { url: "http://127.0.0.1:9/introspect" } } }, upstream.url);
});
afterAll(async () => {
  await hosts.stopAll();
  await upstream?.close();
});

type Step = { EventId: number; Data: { Method?: string; Args?: unknown[] } | string };

class Rpc {
  private received = Buffer.alloc(0);
  private next = 1;
  private constructor(private readonly socket: Socket) {
    socket.on("data", (chunk: Buffer) => { this.received = Buffer.concat([this.received, chunk]); });
  }

  static async open(path: string): Promise<Rpc> {
    const socket = connect(path);
    await new Promise<void>((resolve, reject) => socket.once("connect", resolve).once("error", reject));
    return new Rpc(socket);
  }

  /** Sends `[0, msgid, method, [arg]]`, with `raw` spliced in place of the string `"@RAW@"` in the encoded frame. */
  async call(method: string, arg: unknown, raw?: Buffer): Promise<Step> {
    const msgid = this.next++;
    let frame = Buffer.from(encode([0, msgid, method, [arg]]));
    if (raw) {
      const placeholder = Buffer.from(encode("@RAW@"));
      const at = frame.indexOf(placeholder);
      frame = Buffer.concat([frame.subarray(0, at), raw, frame.subarray(at + placeholder.length)]);
    }
    this.socket.write(frame);
    for (let waited = 0; waited < 20_000; waited += 10) {
      try {
        const replies = [...decodeMulti(this.received)] as Array<[number, number, unknown, Step]>;
        const reply = replies.find((r) => r[1] === msgid);
        if (reply) {
          if (reply[2] !== null) throw new Error(String(reply[2]));
          return reply[3];
        }
      } catch (err) {
        if (err instanceof Error && !/Insufficient data|extra/i.test(err.message)) throw err;
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`no reply to ${method}`);
  }

  close(): void {
    this.socket.destroy();
  }
}

/** MessagePack `{authorization: <str8 holding exactly these bytes>}`. */
function rawHeaderMap(value: Buffer): Buffer {
  const key = Buffer.from(encode("authorization"));
  return Buffer.concat([Buffer.from([0x81]), key, Buffer.from([0xd9, value.length]), value]);
}

/** Answers every further PDK call of the event (the path with `/`, anything else with nil) until the plugin calls
 *  kong.response.exit: its arguments. */
async function untilExit(rpc: Rpc, step: Step): Promise<unknown[]> {
  for (let i = 0; i < 10; i++) {
    const data = step.Data as { Method?: string; Args?: unknown[] };
    if (data.Method === "kong.response.exit") return data.Args ?? [];
    if (typeof data.Method !== "string") throw new Error(`the event ended without kong.response.exit: ${JSON.stringify(step.Data)}`);
    step = await rpc.call("plugin.Step", { EventId: step.EventId, Data: data.Method === "kong.request.get_path_with_query" ? "/" : null });
  }
  throw new Error("no kong.response.exit within 10 PDK calls");
}

/** HandleEvent(access), the headers answered with exactly `authorization: <bytes>`: the status the plugin exits with. */
async function exitStatusFor(authorization: Buffer): Promise<{ status: unknown; body: string }> {
  const rpc = await Rpc.open(host.socketPath());
  try {
    const first = await rpc.call("plugin.HandleEvent", { InstanceId: host.instanceStats().currentId, EventName: "access" });
    expect(first.Data).toMatchObject({ Method: "kong.request.get_headers" });
    const next = await rpc.call("plugin.StepMultiMap", { EventId: first.EventId, Data: "@RAW@" }, rawHeaderMap(authorization));
    const args = await untilExit(rpc, next);
    return { status: args[0], body: String(args[1]) };
  } finally {
    rpc.close();
  }
}

describe("meshgate-pluginserver: kong.request.* answers reach the plugin byte for byte", () => {
  it.each([
    ["an overlong sequence a lenient decoder reads as `s`", [0xc1, 0xb3]],
    ["a lone 0xE9", [0xe9]],
    ["0xFF", [0xff]],
  ])("a token ending in %s is malformed: the plugin answers 401 invalid_token without asking the auth service", async (_name, stray) => {
    const exit = await exitStatusFor(Buffer.concat([Buffer.from("Bearer abc"), Buffer.from(stray)]));
    expect(exit.status).toBe(401);
    expect(exit.body).toContain("invalid_token");
  });

  it("the same token in ASCII (`abcs`, what a lenient decoder makes of `abc\\xc1\\xb3`) is well-formed: it goes to the auth service", async () => {
    // The auth service address refuses connections: a well-formed token ends in the failure mode (503), not in 401.
    const exit = await exitStatusFor(Buffer.from("Bearer abcs"));
    expect(exit.status).toBe(503);
  });
});
