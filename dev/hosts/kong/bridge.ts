// One plugin event the way Kong's `bridge_loop` runs it: HandleEvent, then for every `{Method, Args}` run the
// PDK call and answer with the matching Step RPC until the server says "ret". After kong.response.exit/error
// (or a PDK call that raised) nothing more is sent: Kong has left the loop.
import type { MsgpackRpcPool } from "./msgpack-rpc.js";
import { RpcTransportError } from "./msgpack-rpc.js";
import { callPdk } from "./pdk/index.js";
import type { PdkEnvironment } from "./pdk/environment.js";
import { LuaError } from "./pdk/lua.js";
import type { KongPhase, RequestContext } from "./request-context.js";
import { shapeMultiMap, stepMethodFor } from "./step-method.js";

export interface RoundTripCounter {
  roundTrips: number;
}

export type EventEnd = "ret" | "exit";

interface StepIn {
  eventId: unknown;
  data: unknown;
}

function readStep(response: unknown): StepIn {
  if (typeof response !== "object" || response === null) throw new RpcTransportError("malformed event response from plugin server");
  const r = response as Record<string, unknown>;
  return { eventId: r["EventId"], data: r["Data"] };
}

/** Runs one event; throws RpcRemoteError/RpcTransportError on RPC failure, LuaError when a PDK call raised. */
export async function runEvent(
  rpc: MsgpackRpcPool,
  instanceId: unknown,
  phase: KongPhase,
  ctx: RequestContext,
  env: PdkEnvironment,
  counter: RoundTripCounter,
): Promise<EventEnd> {
  counter.roundTrips += 1;
  let step = readStep(await rpc.call("plugin.HandleEvent", { InstanceId: instanceId, EventName: phase }));
  const eventId = step.eventId;
  while (step.data !== "ret") {
    const call = step.data;
    if (typeof call !== "object" || call === null || typeof (call as Record<string, unknown>)["Method"] !== "string") {
      throw new RpcTransportError(`unexpected event data from plugin server: ${JSON.stringify(call)}`);
    }
    const method = (call as Record<string, unknown>)["Method"] as string;
    const outcome = callPdk(method, (call as Record<string, unknown>)["Args"], ctx, env);
    if (outcome.kind === "exit") return "exit";
    if (outcome.kind === "error") throw new LuaError(`PDK ${method}: ${outcome.message}`);
    const stepMethod = stepMethodFor(method);
    const data = stepMethod === "plugin.StepMultiMap" ? shapeMultiMap(outcome.value) : outcome.value;
    // A nil PDK result means the Data key is absent from the Step (JS sees undefined, not null).
    const arg = data === undefined || data === null ? { EventId: eventId } : { EventId: eventId, Data: data };
    counter.roundTrips += 1;
    step = readStep(await rpc.call(stepMethod, arg));
  }
  return "ret";
}
