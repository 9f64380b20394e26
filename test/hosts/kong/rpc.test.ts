// The MessagePack-RPC client (checklist 3): frames, one message in flight per connection, pooled connections.
// A recording fake server shows what goes on the wire; the real plugin server shows it interoperates.
import { Decoder, Encoder } from "@msgpack/msgpack";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { MsgpackRpcPool, RpcRemoteError, RpcTransportError } from "../../../dev/hosts/kong/msgpack-rpc.js";

interface FakeServer {
  path: string;
  frames: unknown[][];
  connections: number;
  maxInFlightPerConnection: number;
  close(): Promise<void>;
}

/** Answers `[0,id,m,[arg]]` with `[1,id,nil,{echo: arg}]`, or an error for method "plugin.Fail"; splits replies in two writes. */
async function startFakeServer(dir: string): Promise<FakeServer> {
  const encoder = new Encoder();
  const decoder = new Decoder();
  const state: FakeServer = { path: join(dir, "fake.sock"), frames: [], connections: 0, maxInFlightPerConnection: 0, close: async () => undefined };
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    state.connections += 1;
    let inFlight = 0;
    socket.on("data", (chunk) => {
      const frame = decoder.decode(chunk) as unknown[];
      state.frames.push(frame);
      inFlight += 1;
      state.maxInFlightPerConnection = Math.max(state.maxInFlightPerConnection, inFlight);
      const [, id, method, args] = frame as [number, number, string, unknown[]];
      const reply = method === "plugin.Fail" ? [1, id, "boom from server", null] : [1, id, null, { echo: args[0] }];
      const bytes = encoder.encode(reply);
      setImmediate(() => {
        socket.write(bytes.subarray(0, 3));
        setImmediate(() => {
          inFlight -= 1;
          socket.write(bytes.subarray(3));
        });
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(state.path, resolve));
  state.close = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  return state;
}

let dir: string;
let fake: FakeServer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "mg-rpc-"));
  fake = await startFakeServer(dir);
});

afterAll(async () => {
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("MessagePack-RPC frames (checklist 3)", () => {
  test("a call is [0, id, \"plugin.X\", [arg]] and the answer [1, id, nil, res] resolves with res, even split across reads", async () => {
    const pool = new MsgpackRpcPool({ socketPath: fake.path });
    try {
      fake.frames.length = 0;
      const result = await pool.call("plugin.StartInstance", { Name: "x", Config: "{}" });
      expect(fake.frames).toEqual([[0, 1, "plugin.StartInstance", [{ Name: "x", Config: "{}" }]]]);
      expect(result).toEqual({ echo: { Name: "x", Config: "{}" } });
      await pool.call("plugin.Step", { EventId: 3 });
      expect(fake.frames[1]?.[1]).toBe(2);
    } finally {
      pool.close();
    }
  });

  test("an undefined Data is left out of the map (Kong sends no Data key for a nil PDK result)", async () => {
    const pool = new MsgpackRpcPool({ socketPath: fake.path });
    try {
      fake.frames.length = 0;
      await pool.call("plugin.Step", { EventId: 7, Data: undefined });
      const arg = (fake.frames[0]?.[3] as unknown[])[0] as Record<string, unknown>;
      expect(Object.keys(arg)).toEqual(["EventId"]);
    } finally {
      pool.close();
    }
  });

  test("[1, id, err, nil] rejects with the server's error string", async () => {
    const pool = new MsgpackRpcPool({ socketPath: fake.path });
    try {
      const failure = pool.call("plugin.Fail", 1);
      await expect(failure).rejects.toBeInstanceOf(RpcRemoteError);
      await expect(failure).rejects.toThrow("boom from server");
    } finally {
      pool.close();
    }
  });

  test("an unreachable socket rejects with a transport error", async () => {
    const pool = new MsgpackRpcPool({ socketPath: join(dir, "missing.sock") });
    await expect(pool.call("plugin.HandleEvent", {})).rejects.toBeInstanceOf(RpcTransportError);
    pool.close();
  });
});

describe("connection pool (checklist 3)", () => {
  test("sequential calls reuse one keepalive connection", async () => {
    const before = fake.connections;
    const pool = new MsgpackRpcPool({ socketPath: fake.path });
    try {
      for (let i = 0; i < 20; i += 1) await pool.call("plugin.Step", { EventId: i });
      expect(fake.connections - before).toBe(1);
    } finally {
      pool.close();
    }
  });

  test("concurrent calls never put two messages in flight on one connection, and idle connections are reused", async () => {
    const before = fake.connections;
    const pool = new MsgpackRpcPool({ socketPath: fake.path });
    try {
      fake.maxInFlightPerConnection = 0;
      const results = await Promise.all(Array.from({ length: 10 }, (_, i) => pool.call("plugin.Step", { EventId: i })));
      expect(results.map((r) => (r as { echo: { EventId: number } }).echo.EventId)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(fake.maxInFlightPerConnection).toBe(1);
      const opened = fake.connections - before;
      expect(opened).toBe(10);
      await Promise.all(Array.from({ length: 10 }, (_, i) => pool.call("plugin.Step", { EventId: i })));
      expect(fake.connections - before).toBe(opened);
      expect(pool.openConnections()).toBe(10);
    } finally {
      pool.close();
    }
  });

  test("the pool keeps at most poolSize idle connections, like lua_socket_pool_size", async () => {
    const pool = new MsgpackRpcPool({ socketPath: fake.path, poolSize: 2 });
    try {
      await Promise.all(Array.from({ length: 6 }, (_, i) => pool.call("plugin.Step", { EventId: i })));
      expect(pool.openConnections()).toBe(2);
    } finally {
      pool.close();
    }
  });
});
