// kong.client.* (`kong/pdk/client.lua`). The consumer/credential live in ngx.ctx, where Kong keeps them.
import type { PdkFunction } from "./environment.js";
import { LuaError, luaType } from "./lua.js";
import { ACCESS, AUTH_AND_LATER, checkPhase, checkRequestApiAvailable } from "./phases.js";

export const AUTHENTICATED_CONSUMER = "authenticated_consumer";
export const AUTHENTICATED_CREDENTIAL = "authenticated_credential";

function tableOrNil(value: unknown): boolean {
  const t = luaType(value);
  return t === "table" || t === "nil";
}

export const clientFunctions: Record<string, PdkFunction> = {
  "kong.client.get_ip": ({ ctx }) => {
    checkRequestApiAvailable(ctx.phase);
    return ctx.incoming.clientIp;
  },
  "kong.client.get_forwarded_ip": ({ ctx }) => {
    checkRequestApiAvailable(ctx.phase);
    return ctx.incoming.forwardedIp;
  },
  "kong.client.get_port": ({ ctx }) => {
    checkRequestApiAvailable(ctx.phase);
    return ctx.incoming.clientPort;
  },
  "kong.client.get_forwarded_port": ({ ctx }) => {
    checkRequestApiAvailable(ctx.phase);
    return ctx.incoming.clientPort;
  },
  "kong.client.get_consumer": ({ ctx }) => {
    checkPhase(ctx.phase, AUTH_AND_LATER);
    return ctx.ngxCtx.get(AUTHENTICATED_CONSUMER);
  },
  "kong.client.get_credential": ({ ctx }) => {
    checkPhase(ctx.phase, AUTH_AND_LATER);
    return ctx.ngxCtx.get(AUTHENTICATED_CREDENTIAL);
  },
  "kong.client.authenticate": ({ ctx, args }) => {
    checkPhase(ctx.phase, ACCESS);
    const [consumer, credential] = args;
    if (!tableOrNil(consumer)) throw new LuaError("consumer must be a table or nil");
    if (!tableOrNil(credential)) throw new LuaError("credential must be a table or nil");
    if (luaType(consumer) === "nil" && luaType(credential) === "nil") throw new LuaError("either credential or consumer must be provided");
    setOrDelete(ctx.ngxCtx, AUTHENTICATED_CONSUMER, consumer);
    setOrDelete(ctx.ngxCtx, AUTHENTICATED_CREDENTIAL, credential);
    return undefined;
  },
};

function setOrDelete(map: Map<string, unknown>, key: string, value: unknown): void {
  if (value === null || value === undefined) map.delete(key);
  else map.set(key, value);
}
