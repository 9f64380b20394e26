// meshgate's plugin-server start command speaks kong-pdk's MessagePack-RPC with its own listener: checked on the
// raw socket, as Kong's cosocket would talk to it (framing, errors, kong-pdk's error strings).
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
  host = await hosts.start({}, upstream.url);
});
afterAll(async () => {
  await hosts.stopAll();
  await upstream?.close();
});

type Reply = [number, number, unknown, unknown];

/** A raw connection that collects `[1, msgid, error, result]` replies. */
async function rawConnection(): Promise<{ socket: Socket; replies(count: number): Promise<Reply[]> }> {
  const socket = connect(host.socketPath());
  await new Promise<void>((resolve, reject) => socket.once("connect", resolve).once("error", reject));
  let received = Buffer.alloc(0);
  const decodeAll = (): Reply[] | null => {
    try {
      return [...decodeMulti(received)] as Reply[];
    } catch {
      return null; // a reply still incomplete
    }
  };
  return {
    socket,
    replies: (count) => new Promise((resolve, reject) => {
      const check = (): void => {
        const decoded = decodeAll();
        if (decoded && decoded.length >= count) {
          socket.off("data", onData);
          resolve(decoded);
        }
      };
      const onData = (chunk: Buffer): void => {
        received = Buffer.concat([received, chunk]);
        check();
      };
      socket.on("data", onData);
      socket.once("error", reject);
      check();
    }),
  };
}

function writeAndFlush(socket: Socket, bytes: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => socket.write(bytes, (err) => (err ? reject(err) : resolve())));
}

describe("meshgate-pluginserver's listener", () => {
  it("answers two requests that arrive in one read, in order, with kong-pdk's error strings", async () => {
    const { socket, replies } = await rawConnection();
    const frames = Buffer.concat([
      encode([0, 1, "plugin.InstanceStatus", [999]]),
      encode([0, 2, "plugin.InstanceStatus", [host.instanceStats().currentId]]),
    ]);
    await writeAndFlush(socket, frames);
    const [missing, found] = await replies(2);
    expect(missing).toEqual([1, 1, "no plugin instance #999", null]);
    expect(found?.[1]).toBe(2);
    expect(found?.[2]).toBeNull();
    expect((found?.[3] as { Name: string }).Name).toBe("meshgate");
    socket.destroy();
  });

  it("assembles a request that arrives in pieces", async () => {
    const { socket, replies } = await rawConnection();
    const frame = encode([0, 7, "plugin.InstanceStatus", [998]]);
    await writeAndFlush(socket, frame.subarray(0, 3));
    await writeAndFlush(socket, frame.subarray(3, 9));
    await writeAndFlush(socket, frame.subarray(9));
    expect(await replies(1)).toEqual([[1, 7, "no plugin instance #998", null]]);
    socket.destroy();
  });

  it("refuses what is not one of the server's RPC methods, and other namespaces, without dying", async () => {
    const { socket, replies } = await rawConnection();
    await writeAndFlush(socket, Buffer.concat([
      encode([0, 1, "plugin.constructor", [{}]]),
      encode([0, 2, "kong.HandleEvent", [{}]]),
    ]));
    expect(await replies(2)).toEqual([
      [1, 1, "method constructor not implemented", null],
      [1, 2, "RPC for kong is not supported", null],
    ]);
    socket.destroy();
    expect((await host.request({ path: "/" })).status).toBe(200);
    expect(host.serverRestarts).toBe(0);
  });

  it("closes only the connection that sent bytes that are not MessagePack", async () => {
    const { socket } = await rawConnection();
    const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
    socket.on("error", () => undefined);
    await writeAndFlush(socket, Buffer.from([0xc1, 0x00]));
    await closed;
    expect((await host.request({ path: "/" })).status).toBe(200);
    expect(host.serverRestarts).toBe(0);
  });
});
