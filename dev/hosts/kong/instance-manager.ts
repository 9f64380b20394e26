// Kong's `get_instance_id` for one plugin entity on one worker: reuse the instance while `__seq__` is
// unchanged, otherwise StartInstance a new one and CloseInstance the old (errors ignored). A failed
// StartInstance raises (Kong calls `error(err)`, i.e. the request gets a 500).
import { textToBytes } from "./lua-msgpack.js";
import type { MsgpackRpcPool } from "./msgpack-rpc.js";

export class StartInstanceError extends Error {
  override readonly name = "StartInstanceError";
}

interface RunningInstance {
  id: unknown;
  seq: number;
}

export class InstanceManager {
  private running: RunningInstance | null = null;
  private starting: Promise<unknown> | null = null;
  startCount = 0;
  closeCount = 0;

  constructor(
    private readonly rpc: () => MsgpackRpcPool,
    private readonly pluginName: string,
    private readonly config: () => Record<string, unknown>,
  ) {}

  async instanceId(): Promise<unknown> {
    const conf = this.config();
    const seq = conf["__seq__"] as number;
    if (this.running && this.running.seq === seq) return this.running.id;
    if (this.starting) {
      await this.starting.catch(() => undefined);
      return this.instanceId();
    }
    const old = this.running;
    const start = this.start(conf, seq, old);
    this.starting = start;
    try {
      return await start;
    } finally {
      this.starting = null;
    }
  }

  /** Forget the instance (after "no plugin instance"): the next event starts a new one. */
  reset(): void {
    this.running = null;
  }

  currentId(): unknown {
    return this.running?.id;
  }

  private async start(conf: Record<string, unknown>, seq: number, old: RunningInstance | null): Promise<unknown> {
    let status: unknown;
    try {
      this.startCount += 1;
      status = await this.rpc().call("plugin.StartInstance", { Name: this.pluginName, Config: textToBytes(JSON.stringify(conf)) });
    } catch (err) {
      this.running = null;
      throw new StartInstanceError((err as Error).message);
    }
    const id = typeof status === "object" && status !== null ? (status as Record<string, unknown>)["Id"] : undefined;
    if (id === undefined || id === null) {
      this.running = null;
      throw new StartInstanceError("StartInstance returned no instance Id");
    }
    this.running = { id, seq };
    if (old) {
      this.closeCount += 1;
      // Kong waits for the answer but ignores errors ("maybe other thread closed it first").
      await this.rpc().call("plugin.CloseInstance", old.id).catch(() => undefined);
    }
    return id;
  }
}
