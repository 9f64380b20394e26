// What a fake PDK function can see besides the request: the plugin/node/route/service identity Kong has,
// the configured Upstream entities, and Kong's error log.
import type { RequestContext } from "../request-context.js";

export type KongLogLevel = "alert" | "crit" | "err" | "warn" | "notice" | "info" | "debug";

export interface PdkEnvironment {
  pluginName: string;
  pluginId: string;
  nodeId: string;
  route: Record<string, unknown>;
  service: Record<string, unknown>;
  hasUpstream(name: string): boolean;
  /** kong.log.* from the plugin (namespaced with the plugin name, as Kong does), with nginx's context suffix. */
  log(level: KongLogLevel, message: string, ctx: RequestContext): void;
  /** A line of Kong's own (the bridge), not namespaced; with nginx's context suffix when a request is given. */
  logKong(level: KongLogLevel, message: string, ctx?: RequestContext): void;
}

export interface PdkCall {
  ctx: RequestContext;
  env: PdkEnvironment;
  /** The RPC `Args` array, as Lua receives it through `method(unpack(args))`. */
  args: unknown[];
}

export type PdkFunction = (call: PdkCall) => unknown;
