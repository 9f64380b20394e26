// kong.service.* and kong.service.request.* (`kong/pdk/service.lua`, `kong/pdk/service/request.lua`).
import type { PdkFunction } from "./environment.js";
import { normalizeMultiHeader, tableEntries, validateHeader, validateHeaders } from "./header-checks.js";
import { LuaError } from "./lua.js";
import { ACCESS, ACCESS_REWRITE, ACCESS_REWRITE_BALANCER, checkPhase, SET_TARGET_PHASES } from "./phases.js";

const ACCEPTED_METHODS = new Set(["GET", "HEAD", "PUT", "POST", "DELETE", "OPTIONS", "MKCOL", "COPY", "MOVE", "PROPFIND", "PROPPATCH", "LOCK", "UNLOCK", "PATCH", "TRACE"]);

/** `kong.tools.uri.escape`: percent-encode everything outside the reserved/unreserved set (and keep `%`). */
function escapePath(path: string): string {
  return path.replace(/[^!#$&'()*+,/:;=?@[\]A-Za-z0-9\-_.~%]/gu, (ch) => encodeURIComponent(ch));
}

export const serviceFunctions: Record<string, PdkFunction> = {
  "kong.service.set_upstream": ({ ctx, env, args }) => {
    checkPhase(ctx.phase, ACCESS);
    const host = args[0];
    if (typeof host !== "string") throw new LuaError("host must be a string");
    // Kong returns `nil, "could not find an Upstream named ..."`; only the nil crosses mp_rpc.
    if (!env.hasUpstream(host)) return undefined;
    ctx.balancerHost = host;
    return true;
  },
  "kong.service.set_target": ({ ctx, args }) => {
    checkPhase(ctx.phase, SET_TARGET_PHASES);
    const [host, port] = args;
    if (typeof host !== "string") throw new LuaError("host must be a string");
    if (typeof port !== "number" || !Number.isInteger(port)) throw new LuaError("port must be an integer");
    if (port < 0 || port > 65535) throw new LuaError(`port must be an integer between 0 and 65535: given ${port}`);
    ctx.upstreamHostHeader = host;
    ctx.balancerHost = host;
    ctx.balancerPort = port;
    return undefined;
  },
  "kong.service.request.set_scheme": ({ ctx, args }) => {
    checkPhase(ctx.phase, ACCESS_REWRITE_BALANCER);
    const scheme = args[0];
    if (typeof scheme !== "string") throw new LuaError("scheme must be a string");
    if (scheme !== "http" && scheme !== "https") throw new LuaError(`invalid scheme: ${scheme}`);
    ctx.upstreamScheme = scheme;
    return undefined;
  },
  "kong.service.request.set_path": ({ ctx, args }) => {
    checkPhase(ctx.phase, ACCESS_REWRITE_BALANCER);
    const path = args[0];
    if (typeof path !== "string") throw new LuaError("path must be a string");
    if (!path.startsWith("/")) throw new LuaError("path must start with /");
    ctx.upstreamPath = escapePath(path);
    return undefined;
  },
  "kong.service.request.set_raw_query": ({ ctx, args }) => {
    checkPhase(ctx.phase, ACCESS_REWRITE);
    const query = args[0];
    if (typeof query !== "string") throw new LuaError("query must be a string");
    ctx.args = query;
    return undefined;
  },
  "kong.service.request.set_method": ({ ctx, args }) => {
    checkPhase(ctx.phase, ACCESS_REWRITE);
    const method = args[0];
    if (typeof method !== "string") throw new LuaError("method must be a string");
    if (!ACCEPTED_METHODS.has(method)) throw new LuaError(`invalid method: ${method}`);
    ctx.method = method;
    return undefined;
  },
  // ngx.req.set_header rewrites the client request itself: later kong.request.get_header sees the new value.
  // set/clear match the name exactly, ignoring ASCII case only: with `underscores_in_headers on` (Kong's
  // template) a client's `x_auth_subject` survives set_header("x-auth-subject", …) and clear_header of it.
  "kong.service.request.set_header": ({ ctx, args }) => {
    checkPhase(ctx.phase, ACCESS_REWRITE_BALANCER);
    const [name, value] = args;
    validateHeader(name, value);
    const lower = name.toLowerCase();
    if (lower === ":authority") return undefined; // nil, "cannot set :authority pseudo-header on non-grpc requests"
    const normalized = normalizeMultiHeader(value);
    if (lower === "host") ctx.upstreamHostHeader = Array.isArray(normalized) ? (normalized[0] ?? null) : normalized;
    ctx.headers.setExactly(name, normalized);
    return undefined;
  },
  "kong.service.request.add_header": ({ ctx, args }) => {
    checkPhase(ctx.phase, ACCESS_REWRITE);
    const [name, value] = args;
    validateHeader(name, value);
    const normalized = normalizeMultiHeader(value);
    if (name.toLowerCase() === "host") ctx.upstreamHostHeader = Array.isArray(normalized) ? (normalized[0] ?? null) : normalized;
    ctx.headers.add(name, normalized);
    return undefined;
  },
  "kong.service.request.clear_header": ({ ctx, args }) => {
    checkPhase(ctx.phase, ACCESS_REWRITE);
    const name = args[0];
    if (typeof name !== "string") throw new LuaError("header must be a string");
    ctx.headers.clearExactly(name);
    return undefined;
  },
  "kong.service.request.set_headers": ({ ctx, args }) => {
    checkPhase(ctx.phase, ACCESS_REWRITE);
    const headers = args[0];
    validateHeaders(headers);
    for (const [name, value] of tableEntries(headers)) {
      const key = String(name);
      const normalized = normalizeMultiHeader(value);
      if (key.toLowerCase() === "host") ctx.upstreamHostHeader = Array.isArray(normalized) ? (normalized[0] ?? null) : normalized;
      ctx.headers.setExactly(key, normalized);
    }
    return undefined;
  },
};
