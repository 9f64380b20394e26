// kong-plugins/server/src/events.ts: one event driven the way Kong drives it (HandleEvent, then a Step per PDK
// call), with a fake reply channel that records what would go on the wire.
import { describe, expect, it } from "vitest";
import { PdkError, PluginEvent, type EventOwner, type ReplyChannel } from "../../../kong-plugins/server/src/events";

type Sent = { msgid: number; eventId: number; method: string | null; args: unknown[] | null };

class FakeChannel implements ReplyChannel {
  readonly sent: Sent[] = [];
  gone = false;
  replyStep(msgid: number, eventId: number, method: string | null, args: unknown[] | null): boolean {
    if (args?.some((a) => typeof a === "function")) throw new Error("cannot encode a function");
    if (this.gone) return false;
    this.sent.push({ msgid, eventId, method, args });
    return true;
  }
}

class FakeOwner implements EventOwner {
  readonly forgotten: string[] = [];
  readonly warnings: string[] = [];
  forget(event: PluginEvent, why: "done" | "gone"): void { this.forgotten.push(`${event.id}:${why}`); }
  warn(message: string): void { this.warnings.push(message); }
}

type PdkNamespace = Record<string, (...args: unknown[]) => Promise<unknown>>;
type Kong = Record<string, PdkNamespace> & { service: PdkNamespace & { request: PdkNamespace } };

/** Lets the handler's awaited promises settle (microtasks only; no timers). */
const settle = async (): Promise<void> => { for (let i = 0; i < 10; i++) await Promise.resolve(); };

function start(handler: (kong: Kong) => Promise<unknown>): { event: PluginEvent; channel: FakeChannel; owner: FakeOwner } {
  const channel = new FakeChannel();
  const owner = new FakeOwner();
  const event = new PluginEvent(7, owner, channel, 1);
  event.run((kong) => handler(kong as unknown as Kong), () => "probe.access on instance #0");
  return { event, channel, owner };
}

describe("PluginEvent", () => {
  it("answers HandleEvent with the first PDK call, each Step with the next, and the last with ret", async () => {
    const seen: unknown[] = [];
    const { event, channel, owner } = start(async (kong) => {
      seen.push(await kong.request!.getHeader!("x-a"));
      await kong.service.request.setHeaders!({ "x-b": "1" });
    });
    expect(channel.sent).toEqual([{ msgid: 1, eventId: 7, method: "kong.request.get_header", args: ["x-a"] }]);
    expect(event.awaitsRequestBytes()).toBe(true);
    expect(event.step(channel, 2, "v", false)).toBeNull();
    await settle();
    expect(channel.sent[1]).toEqual({ msgid: 2, eventId: 7, method: "kong.service.request.set_headers", args: [{ "x-b": "1" }] });
    expect(event.awaitsRequestBytes()).toBe(false);
    expect(event.step(channel, 3, undefined, false)).toBeNull();
    await settle();
    expect(channel.sent[2]).toEqual({ msgid: 3, eventId: 7, method: null, args: null });
    expect(seen).toEqual(["v"]);
    expect(owner.forgotten).toEqual(["7:done"]);
  });

  it("forgets the event as soon as kong.response.exit is handed to Kong; calls after it are never sent", async () => {
    let after = "not reached";
    const { channel, owner } = start(async (kong) => {
      await kong.response.exit!(401, "no");
      void kong.log!.err!("after exit").then(() => { after = "answered"; });
    });
    await settle();
    expect(channel.sent).toEqual([{ msgid: 1, eventId: 7, method: "kong.response.exit", args: [401, "no"] }]);
    expect(owner.forgotten).toEqual(["7:done"]);
    expect(after).toBe("not reached");
  });

  it("sends calls made together one per round trip, in order, each answered by its own Step", async () => {
    let results: unknown[] = [];
    const { event, channel } = start(async (kong) => {
      results = await Promise.all([kong.request!.getPath!(), kong.request!.getMethod!()]);
    });
    expect(channel.sent.map((s) => s.method)).toEqual(["kong.request.get_path"]);
    event.step(channel, 2, "/p", false);
    expect(channel.sent.map((s) => s.method)).toEqual(["kong.request.get_path", "kong.request.get_method"]);
    event.step(channel, 3, "GET", false);
    await settle();
    expect(results).toEqual(["/p", "GET"]);
    expect(channel.sent.at(-1)?.method).toBeNull();
  });

  it("StepError rejects the call with kong-pdk's PDKError text; a Step nobody waits for is refused", async () => {
    let caught: unknown;
    const { event, channel } = start(async (kong) => {
      try { await kong.service.setTarget!("h", 1.5); } catch (err) { caught = err; }
    });
    event.step(channel, 2, "bad port", true);
    await settle();
    expect(caught).toBeInstanceOf(PdkError);
    expect((caught as Error).message).toBe("PDK method kong.service.set_target failed:  bad port");
    expect(event.step(channel, 3, "again", false)).toBe("event id 7 is not waiting for a PDK result");
  });

  it("a call whose arguments cannot be sent rejects in the handler; Kong's RPC takes the next call", async () => {
    const { channel } = start(async (kong) => {
      try { await kong.log!.err!(() => 1); } catch { await kong.response.exit!(500); }
    });
    await settle();
    expect(channel.sent).toEqual([{ msgid: 1, eventId: 7, method: "kong.response.exit", args: [500] }]);
  });

  it("a handler that throws is logged like kong-pdk does and answered with ret", async () => {
    const { channel, owner } = start(async () => { throw new Error("boom"); });
    await settle();
    expect(channel.sent).toEqual([{ msgid: 1, eventId: 7, method: null, args: null }]);
    expect(owner.warnings).toEqual(["unhandled exception in probe.access on instance #0: Error: boom"]);
  });

  it("is forgotten when the connection Kong waited on is gone, and when dropped its calls never resolve", async () => {
    const { event, channel, owner } = start(async (kong) => { await kong.request!.getPath!(); await kong.request!.getMethod!(); });
    channel.gone = true;
    event.step(channel, 2, "/p", false);
    await settle();
    expect(owner.forgotten).toEqual(["7:gone"]);
    expect(channel.sent.map((s) => s.method)).toEqual(["kong.request.get_path"]);
  });

  it("is waiting for Kong only while Kong holds its call", async () => {
    const { event, channel } = start(async (kong) => { await kong.request!.getPath!(); });
    const later = Date.now() + 1000;
    expect(event.waitingSince(later)).toBe(true);
    event.step(channel, 2, "/p", false);
    expect(event.waitingSince(later)).toBe(false);
  });
});
