// Kong's phase checker (`kong/pdk/private/phases.lua`): same bits, same error wording.
import type { KongPhase } from "../request-context.js";
import { LuaError } from "./lua.js";

const PHASE_BITS: ReadonlyArray<[string, number]> = [
  ["init_worker", 0x1],
  ["certificate", 0x2],
  ["client_hello", 0x8],
  ["rewrite", 0x10],
  ["access", 0x20],
  ["balancer", 0x40],
  ["response", 0x80],
  ["cluster_listener", 0x100],
  ["header_filter", 0x200],
  ["body_filter", 0x400],
  ["log", 0x2000],
  ["preread", 0x4000],
  ["error", 0x1000000],
  ["admin_api", 0x10000000],
];

function bitOf(name: string): number {
  const found = PHASE_BITS.find(([n]) => n === name);
  if (!found) throw new Error(`unknown phase ${name}`);
  return found[1];
}

export type PhaseSet = number;

export function phases(...names: string[]): PhaseSet {
  return names.reduce((acc, n) => acc | bitOf(n), 0);
}

export const REQUEST_PHASES = phases("rewrite", "access", "balancer", "response", "header_filter", "body_filter", "log", "error", "admin_api", "cluster_listener");
export const ACCESS = phases("access");
export const ACCESS_REWRITE = phases("rewrite", "access");
export const ACCESS_REWRITE_BALANCER = phases("rewrite", "access", "balancer");
export const REWRITE_ACCESS_HEADER = phases("rewrite", "access", "response", "balancer", "header_filter", "error", "admin_api");
export const HEADER_BODY_LOG = phases("response", "header_filter", "body_filter", "log", "error", "admin_api");
export const AUTH_AND_LATER = phases("access", "header_filter", "response", "body_filter", "log");
export const ROUTER_PHASES = phases("access", "header_filter", "response", "body_filter", "log");
export const BEFORE_CONTENT = phases("rewrite", "access", "response", "error", "admin_api");
export const SET_TARGET_PHASES = phases("rewrite", "access", "balancer", "preread");
export const LOG_ONLY = phases("log");

export function checkPhase(current: KongPhase, accepted: PhaseSet): void {
  if ((bitOf(current) & accepted) !== 0) return;
  const names = PHASE_BITS.filter(([, bit]) => (accepted & bit) !== 0).map(([n]) => n);
  throw new LuaError(`function cannot be called in ${current} phase (only in: ${names.join(", ")})`);
}

/**
 * Kong runs an external plugin's log handler in `ngx.timer.at(0)`, where `ngx.var` and `ngx.req.*` are
 * disabled: only the getters Kong overrides from saved data work there.
 */
export function checkRequestApiAvailable(current: KongPhase): void {
  if (current === "log") throw new LuaError("API disabled in the context of ngx.timer");
}
