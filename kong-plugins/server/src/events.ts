// One event = one phase handler run for one request (kong-pdk server.js HandleEvent/step, lib/pipe.js), as a
// small state machine instead of kong-pdk's pair of promise queues. Kong drives it: HandleEvent starts the
// handler; each reply carries the handler's next PDK call ({Method, Args}) or "ret"; Kong runs the call and sends
// a Step with its result, which resumes the handler. Calls the handler makes while one is with Kong wait in order
// (kong-pdk's semantics: `Promise.all` still costs a round trip per call).
//
// An event is forgotten as soon as Kong will not send another Step for it: after "ret", after a
// kong.response.exit/error reply (Kong yields the request and never Steps it again — kong-pdk kept those events
// for ever), when the connection Kong was waiting on is gone, or (swept by the server) when Kong left it waiting
// longer than the abandoned-event TTL (a PDK call that raised in Kong ends the event without a Step).
import { pdkFor, type PdkCaller, type PdkStub } from "./pdk-bridge";

export class PdkError extends Error {
  override get name(): string {
    return "PDKError";
  }
}

/** Where an event's next message goes: the RPC Kong is waiting on. */
export interface ReplyChannel {
  /** Writes `[1, msgid, nil, {Data: {Method, Args} | "ret", EventId}]`; false when the connection is gone.
   *  Throws (nothing written) when the arguments cannot be encoded. */
  replyStep(msgid: number, eventId: number, method: string | null, args: unknown[] | null): boolean;
}

export interface EventOwner {
  forget(event: PluginEvent, why: "done" | "gone"): void;
  warn(message: string): void;
}

const NON_RETURN_METHODS = new Set(["kong.response.exit", "kong.response.error"]);
const REQUEST_BYTES_PREFIX = "kong.request.";
const RESOLVED: Promise<undefined> = Promise.resolve(undefined);

class PdkCall {
  resolve: ((value: unknown) => void) | null = null;
  reject: ((error: Error) => void) | null = null;
  constructor(readonly method: string | null, readonly args: unknown[] | null) {}
}

const RET_CALL = new PdkCall(null, null);

export class PluginEvent implements PdkCaller {
  stubs: Array<PdkStub | undefined> | null = null;
  /** The RPC Kong waits on for this event's next message (null while the handler's call is with Kong). */
  private channel: ReplyChannel | null;
  private msgid: number;
  /** The call Kong is running (its Step answers it). */
  private sent: PdkCall | null = null;
  private queued: PdkCall[] | null = null;
  /** No more messages will be sent: "ret" or an exit is on its way, or the event was dropped. */
  private closing = false;
  /** When Kong was last handed a call (ms, Date.now()); the server sweeps events Kong left waiting too long. */
  sentAt = 0;

  constructor(readonly id: number, private readonly owner: EventOwner, channel: ReplyChannel, msgid: number) {
    this.channel = channel;
    this.msgid = msgid;
  }

  /** Starts the handler (HandleEvent); its first call or "ret" answers the HandleEvent RPC. */
  run(handler: (kong: PdkStub) => unknown, describe: () => string): void {
    let result: unknown;
    try {
      result = handler(pdkFor(this));
    } catch (err) {
      this.handlerFailed(err, describe);
      return;
    }
    Promise.resolve(result).then(() => this.enqueue(RET_CALL), (err: unknown) => this.handlerFailed(err, describe));
  }

  call(method: string, args: unknown[]): Promise<unknown> {
    // Kong will never answer: a promise of its own that never settles, so the awaiting handler becomes garbage
    // with it (one shared promise would collect every such handler's reaction for ever).
    if (this.closing) return new Promise<never>(() => undefined);
    const call = new PdkCall(method, args);
    if (NON_RETURN_METHODS.has(method)) {
      this.closing = true;
      this.enqueueCall(call);
      return RESOLVED;
    }
    const answer = new Promise<unknown>((resolve, reject) => {
      call.resolve = resolve;
      call.reject = reject;
    });
    this.enqueueCall(call);
    return answer;
  }

  /** Whether Kong's next Step carries the client's request bytes (the answer to a kong.request.* call). */
  awaitsRequestBytes(): boolean {
    const method = this.sent?.method;
    return method !== undefined && method !== null && method.startsWith(REQUEST_BYTES_PREFIX);
  }

  /** Waiting for Kong's Step (not for the handler) since before `deadline`. */
  waitingSince(deadline: number): boolean {
    return this.sent !== null && this.channel === null && this.sentAt < deadline;
  }

  /** Kong's Step: the result of the call it ran. Returns an error text instead when this event cannot take one. */
  step(channel: ReplyChannel, msgid: number, data: unknown, isError: boolean): string | null {
    const call = this.sent;
    if (this.channel !== null || call === null) return `event id ${this.id} is not waiting for a PDK result`;
    this.sent = null;
    this.channel = channel;
    this.msgid = msgid;
    if (isError) call.reject!(new PdkError(`PDK method ${call.method!} failed:  ${String(data)}`));
    else call.resolve!(data);
    const next = this.queued?.shift();
    if (next) this.send(next);
    return null;
  }

  /** Kong will not Step this event again: calls still to come never resolve. */
  drop(): void {
    this.closing = true;
    this.channel = null;
    this.sent = null;
    this.queued = null;
  }

  private handlerFailed(err: unknown, describe: () => string): void {
    this.owner.warn(`unhandled exception in ${describe()}: ${String(err)}`);
    this.enqueue(RET_CALL);
  }

  private enqueue(call: PdkCall): void {
    if (call === RET_CALL) {
      if (this.closing && this.channel === null && this.sent === null && this.queued === null) return; // dropped or exited
      this.closing = true;
    }
    this.enqueueCall(call);
  }

  private enqueueCall(call: PdkCall): void {
    if (this.channel !== null && this.sent === null && (this.queued === null || this.queued.length === 0)) this.send(call);
    else (this.queued ??= []).push(call);
  }

  private send(call: PdkCall): void {
    const channel = this.channel!;
    let delivered: boolean;
    try {
      delivered = channel.replyStep(this.msgid, this.id, call.method, call.args);
    } catch (err) {
      this.unsendable(call, err);
      return;
    }
    this.channel = null;
    if (!delivered) {
      this.drop();
      this.owner.forget(this, "gone");
      return;
    }
    if (call === RET_CALL || call.resolve === null) {
      this.drop();
      this.owner.forget(this, "done");
      return;
    }
    this.sent = call;
    this.sentAt = Date.now();
  }

  /** A call whose arguments cannot go over MessagePack: the handler's promise rejects; Kong still waits. */
  private unsendable(call: PdkCall, err: unknown): void {
    const reason = err instanceof Error ? err.message : String(err);
    if (call.reject) {
      call.reject(new PdkError(`PDK method ${call.method!} failed: its arguments cannot be sent to Kong (${reason})`));
      const next = this.queued?.shift();
      if (next) this.send(next);
      return;
    }
    // An exit whose body or headers cannot be sent: refuse the request rather than let Kong proxy it.
    this.owner.warn(`${call.method!} on event #${this.id} cannot be sent to Kong (${reason}); answering 500 instead`);
    this.send(new PdkCall("kong.response.exit", [500]));
  }
}
