// MessagePack-RPC client for the plugin server socket, shaped like Kong's `mp_rpc.lua`: every call takes a
// connection from a keepalive pool (or opens one), sends `[0, id, "plugin.X", [arg]]`, reads exactly one
// `[1, id, err, res]`, and puts the connection back. One message is in flight per connection, because the JS
// listener decodes one message per `data` chunk. Strings travel as Lua bytes (lua-msgpack.ts).
import { connect, type Socket } from "node:net";
import { encodeLua, luaDecoder } from "./lua-msgpack.js";

type LuaDecoder = ReturnType<typeof luaDecoder>;

/** The plugin server answered with an error string (`[1, id, "<err>", nil]`). */
export class RpcRemoteError extends Error {
  override readonly name = "RpcRemoteError";
}

/** The socket could not be reached, broke, timed out or returned something that is not a response. */
export class RpcTransportError extends Error {
  override readonly name = "RpcTransportError";
}

export interface RpcTraceEntry {
  method: string;
  arg: unknown;
  result?: unknown;
  error?: string;
}

export interface RpcPoolOptions {
  /** Observes every completed call (for tests: which Step variant, whether `Data` was sent). */
  onCall?: (entry: RpcTraceEntry) => void;
  socketPath: string;
  /** Idle connections kept, like `lua_socket_pool_size` (Kong sets 256). */
  poolSize?: number;
  /** Per call: connect + send + read. OpenResty's default cosocket timeout is 60 s. */
  timeoutMs?: number;
}

interface PendingCall {
  msgId: number;
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

class PooledConnection {
  private chunks: Buffer[] = [];
  private pending: PendingCall | null = null;
  broken = false;

  constructor(
    readonly socket: Socket,
    private readonly decoder: LuaDecoder,
    private readonly onBroken: (c: PooledConnection) => void,
  ) {
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("error", (err) => this.fail(new RpcTransportError(`plugin server socket error: ${err.message}`)));
    socket.on("close", () => this.fail(new RpcTransportError("plugin server closed the connection")));
  }

  send(frame: Uint8Array, msgId: number, timeoutMs: number): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.fail(new RpcTransportError(`timeout after ${timeoutMs} ms waiting for RPC #${msgId}`));
      }, timeoutMs);
      this.pending = { msgId, resolve, reject, timer };
      this.chunks = [];
      this.socket.write(frame);
    });
  }

  private onData(chunk: Buffer): void {
    const call = this.pending;
    if (!call) {
      this.fail(new RpcTransportError("unexpected data from plugin server with no call in flight"));
      return;
    }
    this.chunks.push(chunk);
    let message: unknown;
    try {
      message = this.decoder.decode(this.chunks.length === 1 ? chunk : Buffer.concat(this.chunks));
    } catch (err) {
      // Like the library's own stream decoder: a RangeError means the message is not complete yet —
      // except "Extra bytes", which means more than one message arrived.
      if (err instanceof RangeError && !err.message.startsWith("Extra")) return;
      this.fail(new RpcTransportError(`undecodable response from plugin server: ${String(err)}`));
      return;
    }
    this.pending = null;
    this.chunks = [];
    clearTimeout(call.timer);
    if (!Array.isArray(message) || message.length < 4 || message[0] !== 1) {
      this.broken = true;
      this.socket.destroy();
      call.reject(new RpcTransportError("RPC response expected from plugin server"));
      return;
    }
    if (message[1] !== call.msgId) {
      this.broken = true;
      this.socket.destroy();
      call.reject(new RpcTransportError(`unexpected RPC response ID ${String(message[1])} (wanted ${call.msgId})`));
      return;
    }
    const err: unknown = message[2];
    if (err !== null && err !== undefined) call.reject(new RpcRemoteError(String(err)));
    else call.resolve(message[3] ?? undefined);
  }

  private fail(error: RpcTransportError): void {
    if (this.broken) return;
    this.broken = true;
    this.socket.destroy();
    const call = this.pending;
    this.pending = null;
    if (call) {
      clearTimeout(call.timer);
      call.reject(error);
    }
    this.onBroken(this);
  }
}

export class MsgpackRpcPool {
  private readonly idle: PooledConnection[] = [];
  private readonly all = new Set<PooledConnection>();
  private readonly encoder = { encode: encodeLua };
  private readonly decoder = luaDecoder();
  private msgId = 0;
  private readonly poolSize: number;
  private readonly timeoutMs: number;
  private closed = false;

  constructor(private readonly options: RpcPoolOptions) {
    this.poolSize = options.poolSize ?? 256;
    this.timeoutMs = options.timeoutMs ?? 60_000;
  }

  /** Sends `plugin.<method>` with one argument; resolves with the result, rejects with RpcRemoteError/RpcTransportError. */
  async call(method: string, arg: unknown): Promise<unknown> {
    if (this.closed) throw new RpcTransportError("RPC pool is closed");
    this.msgId += 1;
    const msgId = this.msgId;
    const frame = this.encoder.encode([0, msgId, method, [arg]]);
    const onCall = this.options.onCall;
    try {
      const connection = this.idle.pop() ?? (await this.open());
      const result = await connection.send(frame, msgId, this.timeoutMs);
      this.release(connection);
      onCall?.({ method, arg, result });
      return result;
    } catch (err) {
      onCall?.({ method, arg, error: (err as Error).message });
      throw err;
    }
  }

  /** Connections currently open (idle + busy); for tests of the pool. */
  openConnections(): number {
    return this.all.size;
  }

  close(): void {
    this.closed = true;
    for (const c of this.all) c.socket.destroy();
    this.all.clear();
    this.idle.length = 0;
  }

  private release(connection: PooledConnection): void {
    if (connection.broken || this.closed) return;
    if (this.idle.length >= this.poolSize) {
      this.forget(connection);
      connection.socket.end();
      return;
    }
    this.idle.push(connection);
  }

  private forget(connection: PooledConnection): void {
    this.all.delete(connection);
    const at = this.idle.indexOf(connection);
    if (at >= 0) this.idle.splice(at, 1);
  }

  private open(): Promise<PooledConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect(this.options.socketPath);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new RpcTransportError(`timeout connecting to ${this.options.socketPath}`));
      }, this.timeoutMs);
      const onError = (err: Error): void => {
        clearTimeout(timer);
        reject(new RpcTransportError(`trying to connect: ${err.message}`));
      };
      socket.once("error", onError);
      socket.once("connect", () => {
        clearTimeout(timer);
        socket.off("error", onError);
        const connection = new PooledConnection(socket, this.decoder, (c) => this.forget(c));
        this.all.add(connection);
        resolve(connection);
      });
    });
  }
}
