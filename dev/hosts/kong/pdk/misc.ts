// kong.ctx.shared, kong.nginx, kong.log, kong.router, kong.plugin, kong.node.
import type { RequestContext } from "../request-context.js";
import type { KongLogLevel, PdkFunction } from "./environment.js";
import { cjsonEncode, LuaError, luaToString } from "./lua.js";
import { checkPhase, checkRequestApiAvailable, LOG_ONLY, ROUTER_PHASES } from "./phases.js";
import { normalizePath } from "./request.js";

const LOG_LEVELS: KongLogLevel[] = ["alert", "crit", "err", "warn", "notice", "info", "debug"];

/** `ngx.var.<name>` for the variables a plugin plausibly reads; unknown variables are nil as in nginx. */
function ngxVar(ctx: RequestContext, name: string): string | undefined {
  if (name.startsWith("http_")) {
    const values = ctx.headers.values(name.slice(5));
    return values.length > 0 ? values.join(", ") : undefined;
  }
  switch (name) {
    case "request_id":
      return ctx.requestId;
    case "remote_addr":
      return ctx.incoming.forwardedIp;
    case "realip_remote_addr":
      return ctx.incoming.clientIp;
    case "remote_port":
    case "realip_remote_port":
      return String(ctx.incoming.clientPort);
    case "host":
      return ctx.host();
    case "scheme":
      return ctx.incoming.scheme;
    case "server_port":
      return String(ctx.incoming.serverPort);
    case "request_method":
      return ctx.method;
    case "request_uri":
      return ctx.incoming.requestUri;
    case "uri":
      return normalizePath(ctx.rawPath());
    case "args":
      return ctx.args === "" ? undefined : ctx.args;
    case "is_args":
      return ctx.args === "" ? "" : "?";
    case "upstream_uri":
      return ctx.upstreamPath ?? undefined;
    case "upstream_host":
      return ctx.upstreamHostHeader ?? undefined;
    default:
      return undefined;
  }
}

export function serializeRequest(ctx: RequestContext, status: number, responseHeaders: Record<string, unknown>, route: unknown, service: unknown): Record<string, unknown> {
  return {
    request: {
      method: ctx.method,
      uri: ctx.incoming.requestUri,
      url: `${ctx.incoming.scheme}://${ctx.host()}:${ctx.incoming.serverPort}${ctx.incoming.requestUri}`,
      querystring: Object.fromEntries(new URLSearchParams(ctx.args)),
      headers: ctx.headers.toRecord(),
      size: ctx.incoming.body.byteLength,
    },
    response: { status, headers: responseHeaders },
    client_ip: ctx.incoming.forwardedIp,
    started_at: ctx.startedAtMs,
    route,
    service,
    consumer: ctx.ngxCtx.get("authenticated_consumer"),
    upstream_uri: ctx.upstreamPath ?? ctx.rawPath(),
  };
}

export const miscFunctions: Record<string, PdkFunction> = {
  "kong.ctx.shared.get": ({ ctx, args }) => (typeof args[0] === "string" ? ctx.ctxShared.get(args[0]) : undefined),
  "kong.ctx.shared.set": ({ ctx, args }) => {
    if (typeof args[0] !== "string") throw new LuaError("table index is nil");
    if (args[1] === null || args[1] === undefined) ctx.ctxShared.delete(args[0]);
    else ctx.ctxShared.set(args[0], args[1]);
    return undefined;
  },
  "kong.nginx.get_var": ({ ctx, args }) => {
    checkRequestApiAvailable(ctx.phase);
    return typeof args[0] === "string" ? ngxVar(ctx, args[0]) : undefined;
  },
  "kong.nginx.get_ctx": ({ ctx, args }) => (typeof args[0] === "string" ? ctx.ngxCtx.get(args[0]) : undefined),
  "kong.nginx.set_ctx": ({ ctx, args }) => {
    if (typeof args[0] !== "string") throw new LuaError("table index is nil");
    if (args[1] === null || args[1] === undefined) ctx.ngxCtx.delete(args[0]);
    else ctx.ngxCtx.set(args[0], args[1]);
    return undefined;
  },
  "kong.nginx.req_start_time": ({ ctx }) => ctx.startedAtMs / 1000,
  "kong.log.serialize": ({ ctx }) => {
    if (ctx.saved) return cjsonEncode(ctx.saved.serialize);
    checkPhase(ctx.phase, LOG_ONLY);
    return undefined;
  },
  "kong.router.get_route": ({ ctx, env }) => {
    checkPhase(ctx.phase, ROUTER_PHASES);
    return env.route;
  },
  "kong.router.get_service": ({ ctx, env }) => {
    checkPhase(ctx.phase, ROUTER_PHASES);
    return env.service;
  },
  "kong.plugin.get_id": ({ env }) => env.pluginId,
  "kong.node.get_id": ({ env }) => env.nodeId,
  "kong.log": ({ ctx, env, args }) => {
    env.log("notice", args.map(luaToString).join(""), ctx);
    return undefined;
  },
};

for (const level of LOG_LEVELS) {
  miscFunctions[`kong.log.${level}`] = ({ ctx, env, args }) => {
    env.log(level, args.map(luaToString).join(""), ctx);
    return undefined;
  };
}
