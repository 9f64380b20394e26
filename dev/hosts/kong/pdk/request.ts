// kong.request.* (`kong/pdk/request.lua` + the overrides in `plugin_servers/plugin.lua`).
import { lookupName } from "../header-store.js";
import type { PdkFunction } from "./environment.js";
import { LuaError } from "./lua.js";
import { BEFORE_CONTENT, checkPhase, checkRequestApiAvailable, REQUEST_PHASES } from "./phases.js";

function checkMax(value: unknown, what: string, min: number, max: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value !== "number") throw new LuaError(`${what} must be a number`);
  if (value < min) throw new LuaError(`${what} must be >= ${min}`);
  if (value > max) throw new LuaError(`${what} must be <= ${max}`);
  return value;
}

/** `ngx.req.get_uri_args`: flag args are `true`, repeated args become arrays, `+` and %XX are decoded. */
export function parseQuery(args: string, maxArgs = 100): Record<string, string | true | Array<string | true>> {
  const out: Record<string, string | true | Array<string | true>> = {};
  let count = 0;
  for (const part of args.split("&")) {
    if (part === "") continue;
    if (count >= maxArgs) break;
    count += 1;
    const eq = part.indexOf("=");
    const key = unescapeUri(eq >= 0 ? part.slice(0, eq) : part);
    if (key === "") continue;
    const value: string | true = eq >= 0 ? unescapeUri(part.slice(eq + 1)) : true;
    const existing = out[key];
    if (existing === undefined) out[key] = value;
    else if (Array.isArray(existing)) existing.push(value);
    else out[key] = [existing, value];
  }
  return out;
}

/** `ngx.unescape_uri` on a byte string: each valid %XX becomes that byte, anything else stays as it is. */
function unescapeUri(s: string): string {
  return s.replaceAll("+", " ").replace(/%([0-9a-fA-F]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/** `kong.tools.uri.normalize(path, true)`: decode unreserved %XX, uppercase the rest, drop dot segments, merge slashes. */
export function normalizePath(raw: string): string {
  const decoded = raw.replace(/%([0-9a-fA-F]{2})/g, (_m, hex: string) => {
    const ch = String.fromCharCode(parseInt(hex, 16));
    return /[A-Za-z0-9\-._~]/.test(ch) ? ch : `%${hex.toUpperCase()}`;
  });
  const merged = decoded.replace(/\/{2,}/g, "/");
  const out: string[] = [];
  const segments = merged.split("/");
  for (const [i, seg] of segments.entries()) {
    if (seg === ".") {
      if (i === segments.length - 1) out.push("");
      continue;
    }
    if (seg === "..") {
      if (out.length > 1) out.pop();
      if (i === segments.length - 1) out.push("");
      continue;
    }
    out.push(seg);
  }
  const path = out.join("/");
  return path.startsWith("/") ? path : `/${path}`;
}

export const requestFunctions: Record<string, PdkFunction> = {
  "kong.request.get_scheme": ({ ctx }) => {
    checkPhase(ctx.phase, REQUEST_PHASES);
    checkRequestApiAvailable(ctx.phase);
    return ctx.incoming.scheme;
  },
  "kong.request.get_host": ({ ctx }) => {
    checkPhase(ctx.phase, REQUEST_PHASES);
    checkRequestApiAvailable(ctx.phase);
    return ctx.host();
  },
  "kong.request.get_port": ({ ctx }) => {
    checkRequestApiAvailable(ctx.phase);
    return ctx.incoming.serverPort;
  },
  "kong.request.get_http_version": ({ ctx }) => {
    checkPhase(ctx.phase, REQUEST_PHASES);
    checkRequestApiAvailable(ctx.phase);
    return 1.1;
  },
  "kong.request.get_method": ({ ctx }) => {
    checkPhase(ctx.phase, REQUEST_PHASES);
    checkRequestApiAvailable(ctx.phase);
    return ctx.method;
  },
  "kong.request.get_path": ({ ctx }) => {
    checkPhase(ctx.phase, REQUEST_PHASES);
    checkRequestApiAvailable(ctx.phase);
    return normalizePath(ctx.rawPath());
  },
  "kong.request.get_raw_path": ({ ctx }) => {
    checkPhase(ctx.phase, REQUEST_PHASES);
    checkRequestApiAvailable(ctx.phase);
    return ctx.rawPath();
  },
  "kong.request.get_path_with_query": ({ ctx }) => {
    checkPhase(ctx.phase, REQUEST_PHASES);
    checkRequestApiAvailable(ctx.phase);
    return ctx.incoming.requestUri;
  },
  "kong.request.get_raw_query": ({ ctx }) => {
    checkPhase(ctx.phase, REQUEST_PHASES);
    checkRequestApiAvailable(ctx.phase);
    return ctx.args;
  },
  "kong.request.get_query": ({ ctx, args }) => {
    checkPhase(ctx.phase, REQUEST_PHASES);
    const max = checkMax(args[0], "max_args", 1, 1000);
    checkRequestApiAvailable(ctx.phase);
    return parseQuery(ctx.args, max);
  },
  "kong.request.get_query_arg": ({ ctx, args }) => {
    checkPhase(ctx.phase, REQUEST_PHASES);
    if (typeof args[0] !== "string") throw new LuaError("query argument name must be a string");
    checkRequestApiAvailable(ctx.phase);
    const value = parseQuery(ctx.args)[args[0]];
    return Array.isArray(value) ? value[0] : value;
  },
  // Override in plugin.lua: in the log timer, answered from the headers saved when the log phase started.
  "kong.request.get_header": ({ ctx, args }) => {
    const name = args[0];
    if (ctx.saved) return typeof name === "string" ? ctx.saved.requestHeaders.first(name) : undefined;
    checkPhase(ctx.phase, REQUEST_PHASES);
    if (typeof name !== "string") throw new LuaError("header name must be a string");
    return ctx.headers.first(lookupName(name));
  },
  "kong.request.get_headers": ({ ctx, args }) => {
    if (ctx.saved) return ctx.saved.requestHeaders.toMultiMap(100);
    checkPhase(ctx.phase, REQUEST_PHASES);
    const max = checkMax(args[0], "max_headers", 1, 1000);
    return ctx.headers.toMultiMap(max ?? 100);
  },
  "kong.request.get_raw_body": ({ ctx }) => {
    checkPhase(ctx.phase, BEFORE_CONTENT);
    return Uint8Array.from(ctx.incoming.body);
  },
  "kong.request.get_start_time": ({ ctx }) => {
    checkPhase(ctx.phase, REQUEST_PHASES);
    return ctx.startedAtMs;
  },
};

