// The RPC methods of Kong's external-plugin protocol (kong/runloop/plugin_servers/rpc/mp_rpc.lua), with
// kong-pdk's semantics and error strings (server.js): plugin info, instances (StartInstance, InstanceStatus,
// CloseInstance), events (HandleEvent, Step*). Kong matches the prefix "no plugin instance" to restart an
// instance, so that text is kept exactly.
import { statSync } from "node:fs";
import { PluginEvent, type EventOwner, type ReplyChannel } from "./events";
import type { ServerLog } from "./log";
import { loadPlugins, pluginInfo, type PluginInfo, type PluginInstanceObject, type PluginModule } from "./plugins";

export class PluginServerError extends Error {
  override get name(): string {
    return "PluginServerError";
  }
}

interface Instance {
  plugin: PluginModule;
  object: PluginInstanceObject;
  config: Record<string, unknown>;
  startTime: number;
}

export interface PluginServerOptions {
  /** How long an event may wait for Kong's Step before it is dropped (Kong's RPC read timeout is 60 s). */
  abandonedEventTtlMs: number;
}

export class PluginServer implements EventOwner {
  private plugins: Map<string, PluginModule>;
  private readonly instances = new Map<number, Instance>();
  private instanceId = 0;
  private readonly events = new Map<number, PluginEvent>();
  private eventId = 0;
  private readonly loadTime = Date.now() / 1000;
  private lastStart = 0;
  private lastClose = 0;
  private sweepTimer: NodeJS.Timeout | null = null;

  constructor(private pluginsDir: string, private readonly log: ServerLog, private readonly options: PluginServerOptions) {
    this.plugins = loadPlugins(pluginsDir, log);
  }

  pluginNames(): string[] {
    return [...this.plugins.keys()];
  }

  getPluginInfo(name: unknown): PluginInfo {
    const plugin = typeof name === "string" ? this.plugins.get(name) : undefined;
    if (!name || !plugin) throw new PluginServerError(`${String(name)} not initizlied`);
    return pluginInfo(plugin);
  }

  startInstance(cfg: unknown): object {
    const { Name: name, Config: configJson } = (cfg ?? {}) as { Name?: unknown; Config?: unknown };
    const plugin = typeof name === "string" ? this.plugins.get(name) : undefined;
    if (!plugin) throw new PluginServerError(`${String(name)} not initizlied`);
    const config = JSON.parse(String(configJson)) as Record<string, unknown>;
    const iid = this.instanceId++;
    this.lastStart = Date.now() / 1000;
    const instance: Instance = { plugin, object: new plugin.cls(config), config, startTime: Date.now() / 1000 };
    this.instances.set(iid, instance);
    this.log.info(`instance #${iid} of ${plugin.name} started`);
    return { Name: plugin.name, Id: iid, Config: config, StartTime: instance.startTime };
  }

  instanceStatus(iid: unknown): object {
    const instance = this.instance(iid);
    return { Name: instance.plugin.name, Id: iid, Config: instance.config, StartTime: instance.startTime };
  }

  closeInstance(iid: unknown): object {
    const instance = this.instance(iid);
    this.instances.delete(iid as number);
    this.lastClose = Date.now() / 1000;
    return { Name: instance.plugin.name, Id: iid, Config: instance.config };
  }

  getStatus(): object {
    const plugins: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
    for (const [name, plugin] of this.plugins) {
      const instances: object[] = [];
      for (const [iid, instance] of this.instances) if (instance.plugin === plugin) instances.push(this.instanceStatus(iid));
      plugins[name] = {
        Name: name, Modtime: statSync(plugin.path).mtimeMs / 1000, LoadTime: this.loadTime, Instances: instances,
        LastStartInstance: this.lastStart, LastCloseInstance: this.lastClose,
      };
    }
    return { Pid: process.pid, Plugins: plugins };
  }

  setPluginDir(dir: unknown): string {
    try {
      statSync(String(dir));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
      throw new PluginServerError(`${String(dir)} does not exists`);
    }
    this.pluginsDir = String(dir);
    for (const [name, plugin] of loadPlugins(this.pluginsDir, this.log)) if (!this.plugins.has(name)) this.plugins.set(name, plugin);
    return "ok";
  }

  /** HandleEvent: starts the phase handler; the reply goes out on `channel` when it calls Kong or returns. */
  handleEvent(channel: ReplyChannel, msgid: number, event: unknown): void {
    const { InstanceId: iid, EventName: phase } = (event ?? {}) as { InstanceId?: unknown; EventName?: unknown };
    const instance = this.instance(iid);
    const eid = this.eventId++;
    const pluginEvent = new PluginEvent(eid, this, channel, msgid);
    this.events.set(eid, pluginEvent);
    this.startSweeping();
    const object = instance.object;
    pluginEvent.run(
      (kong) => (object[String(phase)] as (kong: unknown) => unknown).call(object, kong),
      () => `${instance.plugin.name}.${String(phase)} on instance #${String(iid)}`,
    );
  }

  /** The event a Step names, or an error text. */
  event(eventId: unknown): PluginEvent | string {
    return this.events.get(eventId as number) ?? `event id ${String(eventId)} not found`;
  }

  forget(event: PluginEvent, why: "done" | "gone"): void {
    this.events.delete(event.id);
    if (why === "gone") this.log.warn(`dropped event #${event.id}: the connection Kong waited on is gone`);
  }

  warn(message: string): void {
    this.log.warn(message);
  }

  private instance(iid: unknown): Instance {
    const instance = this.instances.get(iid as number);
    // Kong expects the error to start with "no plugin instance" (mp_rpc.lua handle_event).
    if (!instance) throw new PluginServerError(`no plugin instance #${String(iid)}`);
    return instance;
  }

  private startSweeping(): void {
    if (this.sweepTimer) return;
    const ttl = this.options.abandonedEventTtlMs;
    this.sweepTimer = setInterval(() => this.sweepAbandoned(), Math.min(ttl, 10_000));
    this.sweepTimer.unref();
  }

  private sweepAbandoned(): void {
    const ttl = this.options.abandonedEventTtlMs;
    const deadline = Date.now() - ttl;
    for (const event of this.events.values()) {
      if (!event.waitingSince(deadline)) continue;
      event.drop();
      this.events.delete(event.id);
      this.log.warn(`dropped event #${event.id}: no Step from Kong for ${ttl} ms`);
    }
  }
}
