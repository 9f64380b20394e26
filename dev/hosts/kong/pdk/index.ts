// The fake PDK as Kong's mp_rpc bridge sees it: one table keyed by the wire method name. Dispatch follows
// `call_pdk_method`: an unknown name is logged and answers nil (no error), calling a namespace is a Lua error.
import type { PdkCall, PdkEnvironment, PdkFunction } from "./environment.js";
import type { RequestContext } from "../request-context.js";
import { clientFunctions } from "./client.js";
import { ExitSignal, LuaError } from "./lua.js";
import { miscFunctions } from "./misc.js";
import { requestFunctions } from "./request.js";
import { responseFunctions } from "./response.js";
import { serviceFunctions } from "./service.js";

export type PdkOutcome =
  | { kind: "value"; value: unknown }
  | { kind: "exit" }
  | { kind: "error"; message: string };

const PDK: Record<string, PdkFunction> = {
  ...requestFunctions,
  ...clientFunctions,
  ...serviceFunctions,
  ...responseFunctions,
  ...miscFunctions,
};

const NAMESPACES = new Set(
  Object.keys(PDK).flatMap((name) => {
    const parts = name.split(".");
    return parts.slice(1, -1).map((_, i) => parts.slice(0, i + 2).join("."));
  }),
);

export function pdkMethodNames(): string[] {
  return Object.keys(PDK).sort();
}

export function callPdk(method: string, args: unknown, ctx: RequestContext, env: PdkEnvironment): PdkOutcome {
  const fn = Object.hasOwn(PDK, method) ? PDK[method] : undefined;
  if (!fn) {
    if (NAMESPACES.has(method) || method === "kong") return { kind: "error", message: `attempt to call a table value (${method})` };
    env.logKong("err", `could not find pdk method: ${method}`, ctx);
    return { kind: "value", value: undefined };
  }
  const call: PdkCall = { ctx, env, args: Array.isArray(args) ? args : [args] };
  try {
    return { kind: "value", value: fn(call) };
  } catch (err) {
    if (err instanceof ExitSignal) return { kind: "exit" };
    if (err instanceof LuaError) return { kind: "error", message: err.message };
    throw err;
  }
}
