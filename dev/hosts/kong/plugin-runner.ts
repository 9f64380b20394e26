// Kong's `Rpc:handle_event` for one phase: get (or start) the instance, run the event, and on failure do what
// Kong does — "no plugin instance" → forget the instance and try again (once here; Kong recurses), any other
// RPC error → log it and carry on (MsgPack plugin servers fail OPEN), a Lua error (a PDK call that raised, or
// a failed StartInstance) → propagate, which in access/rewrite becomes Kong's 500.
import { runEvent, type RoundTripCounter } from "./bridge.js";
import type { InstanceManager } from "./instance-manager.js";
import { StartInstanceError } from "./instance-manager.js";
import { logSuffix } from "./error-log-context.js";
import type { KongLog } from "./kong-log.js";
import { markUnexpected } from "./kong-response.js";
import { RpcRemoteError, RpcTransportError, type MsgpackRpcPool } from "./msgpack-rpc.js";
import type { PdkEnvironment } from "./pdk/environment.js";
import { LuaError } from "./pdk/lua.js";
import type { KongPhase, RequestContext } from "./request-context.js";

export type PhaseEnd = "ret" | "exit" | "failed-open" | "unexpected";

export class PluginRunner {
  constructor(
    private readonly rpc: () => MsgpackRpcPool,
    private readonly instances: InstanceManager,
    private readonly env: PdkEnvironment,
    private readonly log: KongLog,
  ) {}

  async runPhase(ctx: RequestContext, phase: KongPhase, counter: RoundTripCounter): Promise<PhaseEnd> {
    ctx.phase = phase;
    for (let attempt = 1; ; attempt += 1) {
      try {
        const instanceId = await this.instances.instanceId();
        return await runEvent(this.rpc(), instanceId, phase, ctx, this.env, counter);
      } catch (err) {
        const message = (err as Error).message;
        if (err instanceof StartInstanceError || err instanceof LuaError) {
          this.logKong("err", err instanceof StartInstanceError ? `starting instance: ${message}` : message, ctx);
          if (phase !== "log") markUnexpected(ctx);
          return "unexpected";
        }
        if (!(err instanceof RpcRemoteError || err instanceof RpcTransportError)) throw err;
        if (message.toLowerCase().includes("no plugin instance") && attempt === 1) {
          this.instances.reset();
          this.logKong("warn", message, ctx);
          continue;
        }
        this.logKong("err", message, ctx);
        return "failed-open";
      }
    }
  }

  private logKong(level: string, message: string, ctx: RequestContext): void {
    this.log.add({ level, message: message + logSuffix(ctx), source: "kong" });
  }
}
