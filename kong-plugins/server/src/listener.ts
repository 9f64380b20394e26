// The socket side: Kong's MessagePack-RPC over a unix socket (mp_rpc.lua). Each request
// `[0, msgid, "plugin.<Method>", [arg]]` is answered with `[1, msgid, error, result]`; Kong keeps one message in
// flight per connection, but requests that arrive together (or in pieces) are still framed correctly. Bytes that
// are not MessagePack close that connection only; a connection that breaks (a Kong worker gone mid-call) costs
// nothing else. Step results that answer a kong.request.* call are decoded as byte strings (the client's bytes,
// one character per byte); everything else as UTF-8 text.
import { createServer, type Server, type Socket } from "node:net";
import { unlinkSync } from "node:fs";
import type { PluginEvent, ReplyChannel } from "./events";
import type { ServerLog } from "./log";
import { INCOMPLETE, MsgpackError, MsgpackReader, MsgpackWriter } from "./msgpack";
import { errorText } from "./plugins";
import type { PluginServer } from "./plugin-server";

/** Kong's largest message is a Step carrying a request body; a frame still incomplete beyond this is not Kong. */
const MAX_PENDING_BYTES = 64 * 1024 * 1024;

const enum Rpc {
  HandleEvent, Step, StepError, StartInstance, CloseInstance, InstanceStatus, GetPluginInfo, GetStatus, SetPluginDir,
}

const RPC_METHODS = new Map<string, Rpc>([
  ["plugin.HandleEvent", Rpc.HandleEvent],
  ["plugin.Step", Rpc.Step],
  ["plugin.StepError", Rpc.StepError],
  ["plugin.StepMultiMap", Rpc.Step],
  ["plugin.StepService", Rpc.Step],
  ["plugin.StepConsumer", Rpc.Step],
  ["plugin.StepRoute", Rpc.Step],
  ["plugin.StepPlugin", Rpc.Step],
  ["plugin.StepCredential", Rpc.Step],
  ["plugin.StepMemoryStats", Rpc.Step],
  ["plugin.StartInstance", Rpc.StartInstance],
  ["plugin.CloseInstance", Rpc.CloseInstance],
  ["plugin.InstanceStatus", Rpc.InstanceStatus],
  ["plugin.GetPluginInfo", Rpc.GetPluginInfo],
  ["plugin.GetStatus", Rpc.GetStatus],
  ["plugin.SetPluginDir", Rpc.SetPluginDir],
]);

// One reader and one writer for the whole process: it is single-threaded and every frame is handled to the end
// before the next one is read.
const reader = new MsgpackReader();
const writer = new MsgpackWriter();

const DATA_KEY = "Data";
const NO_EVENT_ID = "event id undefined not found";
const EVENT_ID_KEY = "EventId";

class Connection implements ReplyChannel {
  private pending: Buffer | null = null;

  constructor(private readonly socket: Socket, private readonly server: PluginServer, private readonly log: ServerLog) {
    socket.on("data", (chunk: Buffer) => this.receive(chunk));
    // A Kong worker that went away (reload, RPC timeout) must cost this connection, not the process.
    socket.on("error", (err) => this.log.warn(`plugin socket: ${err.message}`));
  }

  private receive(chunk: Buffer): void {
    const buf = this.pending === null ? chunk : Buffer.concat([this.pending, chunk]);
    this.pending = null;
    let pos = 0;
    while (pos < buf.length) {
      let end: number;
      try {
        end = this.handleFrame(buf, pos);
      } catch (err) {
        if (err === INCOMPLETE) {
          if (buf.length - pos > MAX_PENDING_BYTES) return this.refuse(`RPC frame larger than ${MAX_PENDING_BYTES} bytes`);
          this.pending = pos === 0 ? buf : buf.subarray(pos);
          return;
        }
        if (err instanceof MsgpackError) return this.refuse(`undecodable RPC from Kong (${err.message})`);
        // A bug here must cost this connection, not the process every Kong worker depends on.
        return this.refuse(`internal error handling an RPC (${errorText(err)})`);
      }
      pos = end;
    }
  }

  private refuse(why: string): void {
    this.log.error(`plugin socket: ${why}; closing the connection`);
    this.pending = null;
    this.socket.destroy();
  }

  /** Decodes the frame at `pos` completely, then acts on it; returns where the next frame starts. */
  private handleFrame(buf: Buffer, pos: number): number {
    reader.reset(buf, pos);
    const items = reader.arrayHeader();
    if (items < 4) {
      if (items < 0) reader.skip();
      else for (let i = 0; i < items; i++) reader.skip();
      this.log.error("plugin socket: not an RPC request; ignored");
      return reader.pos;
    }
    const type = reader.value();
    const msgid = reader.value();
    const method = reader.value();
    if (type !== 0 || typeof method !== "string") {
      for (let i = 3; i < items; i++) reader.skip();
      this.log.error("plugin socket: not an RPC request; ignored");
      return reader.pos;
    }
    const rpc = RPC_METHODS.get(method);
    if (rpc === Rpc.Step || rpc === Rpc.StepError) return this.handleStep(msgid as number, rpc === Rpc.StepError, items);
    const args = reader.value();
    for (let i = 4; i < items; i++) reader.skip();
    const end = reader.pos;
    if (rpc === undefined) this.replyError(msgid, unsupported(method));
    else this.call(rpc, msgid as number, Array.isArray(args) ? args[0] : undefined);
    return end;
  }

  /** `[{EventId, Data}]`: Data is decoded once EventId is known (Kong may send either key first), as text or as
   *  the client's bytes. */
  private handleStep(msgid: number, isError: boolean, items: number): number {
    let event: PluginEvent | string = NO_EVENT_ID;
    let data: unknown;
    let dataAt = -1;
    const args = reader.arrayHeader();
    if (args > 0) {
      const fields = reader.mapHeader();
      for (let i = 0; i < fields; i++) {
        const key = reader.value();
        if (key === EVENT_ID_KEY) {
          event = this.server.event(reader.value());
        } else if (key === DATA_KEY && typeof event !== "string") {
          data = this.stepData(event, isError);
        } else if (key === DATA_KEY) {
          dataAt = reader.pos;
          reader.skip();
        } else {
          reader.skip();
        }
      }
      if (fields < 0) reader.skip();
      for (let i = 1; i < args; i++) reader.skip();
    } else if (args < 0) {
      reader.skip();
    }
    for (let i = 4; i < items; i++) reader.skip();
    const end = reader.pos;
    if (typeof event === "string") {
      this.replyError(msgid, event);
      return end;
    }
    if (dataAt >= 0) {
      reader.pos = dataAt;
      data = this.stepData(event, isError);
    }
    const refused = event.step(this, msgid, data, isError);
    if (refused !== null) this.replyError(msgid, refused);
    return end;
  }

  private stepData(event: PluginEvent, isError: boolean): unknown {
    reader.byteStrings = !isError && event.awaitsRequestBytes();
    const data = reader.value();
    reader.byteStrings = false;
    return data;
  }

  private call(rpc: Rpc, msgid: number, arg: unknown): void {
    let result: unknown;
    try {
      switch (rpc) {
        case Rpc.HandleEvent: this.server.handleEvent(this, msgid, arg); return;
        case Rpc.StartInstance: result = this.server.startInstance(arg); break;
        case Rpc.CloseInstance: result = this.server.closeInstance(arg); break;
        case Rpc.InstanceStatus: result = this.server.instanceStatus(arg); break;
        case Rpc.GetPluginInfo: result = this.server.getPluginInfo(arg); break;
        case Rpc.GetStatus: result = this.server.getStatus(); break;
        case Rpc.SetPluginDir: result = this.server.setPluginDir(arg); break;
        default: result = undefined;
      }
    } catch (err) {
      this.replyError(msgid, errorText(err));
      return;
    }
    this.reply(msgid, result);
  }

  replyStep(msgid: number, eventId: number, method: string | null, args: unknown[] | null): boolean {
    const start = writer.mark();
    try {
      writeResultHeader(msgid);
      writer.mapHeader(2);
      writer.string(DATA_KEY);
      if (method === null) {
        writer.string("ret");
      } else {
        writer.mapHeader(2);
        writer.string("Method");
        writer.string(method);
        writer.string("Args");
        writer.value(args);
      }
      writer.string(EVENT_ID_KEY);
      writer.number(eventId);
    } catch (err) {
      writer.rewind(start);
      throw err;
    }
    return this.write(writer.take(start));
  }

  private reply(msgid: unknown, result: unknown): void {
    const start = writer.mark();
    try {
      writeResultHeader(msgid);
      writer.value(result);
    } catch (err) {
      writer.rewind(start);
      this.replyError(msgid, errorText(err));
      return;
    }
    this.write(writer.take(start));
  }

  private replyError(msgid: unknown, message: string): void {
    this.log.error(`rpc: #${String(msgid)} ${message}`);
    const start = writer.mark();
    writer.arrayHeader(4);
    writer.number(1);
    writer.value(typeof msgid === "number" ? msgid : null);
    writer.string(message);
    writer.nil();
    this.write(writer.take(start));
  }

  /** False when the connection is gone (the reply is dropped: the Kong worker that asked went away). */
  private write(frame: Buffer): boolean {
    if (this.socket.destroyed || !this.socket.writable) return false;
    this.socket.write(frame);
    return true;
  }
}

function unsupported(method: string): string {
  const dot = method.indexOf(".");
  const ns = dot < 0 ? method : method.slice(0, dot);
  if (ns !== "plugin") return `RPC for ${ns} is not supported`;
  const cmd = method.slice(dot + 1).split(".")[0];
  return `method ${cmd ?? ""} not implemented`;
}

/** A MessagePack-RPC response without error: `[1, msgid, nil, <result follows>]`. */
function writeResultHeader(msgid: unknown): void {
  writer.arrayHeader(4);
  writer.number(1);
  writer.value(msgid);
  writer.nil();
}

/** Kong's own proxy_listen backlog; past a full accept queue Kong's connect gets EAGAIN and it proxies unjudged. */
const LISTEN_BACKLOG = 16384;

/** Listens on `socketPath` (a stale socket file is removed first, as kong-pdk does). */
export function listen(server: PluginServer, socketPath: string, log: ServerLog): Server {
  try {
    unlinkSync(socketPath);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  const listener = createServer((socket) => new Connection(socket, server, log));
  listener.listen({ path: socketPath, backlog: LISTEN_BACKLOG });
  log.info(`server started at ${socketPath}`);
  return listener;
}
