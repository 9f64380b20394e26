// kong.response.* (`kong/pdk/response.lua` + overrides in `plugin_servers/plugin.lua`). `exit`/`error` store
// the delayed response and stop the bridge, exactly where Kong's `coroutine.yield()` stops it.
import { lookupName, responseHeaderName } from "../header-store.js";
import type { PdkFunction } from "./environment.js";
import { errorBody, defaultErrorMessage, responseTypeFor } from "./error-body.js";
import { normalizeMultiHeader, tableEntries, validateHeader, validateHeaders } from "./header-checks.js";
import { cjsonEncode, ExitSignal, LuaError, luaType } from "./lua.js";
import { checkPhase, HEADER_BODY_LOG, REWRITE_ACCESS_HEADER } from "./phases.js";

function checkStatus(status: unknown, min: number): number {
  if (typeof status !== "number") throw new LuaError("code must be a number");
  if (status < min || status > 599) throw new LuaError(`code must be a number between ${min} and 599`);
  return status;
}

function checkHeadersArg(headers: unknown): Record<string, unknown> | null {
  if (headers === null || headers === undefined) return null;
  if (luaType(headers) !== "table") throw new LuaError("headers must be a nil or table");
  validateHeaders(headers);
  return Object.fromEntries(tableEntries(headers).map(([k, v]) => [String(k), v]));
}

export const responseFunctions: Record<string, PdkFunction> = {
  "kong.response.get_status": ({ ctx }) => {
    if (ctx.saved) return ctx.saved.responseStatus;
    checkPhase(ctx.phase, HEADER_BODY_LOG);
    return undefined;
  },
  "kong.response.get_header": ({ ctx, args }) => {
    if (ctx.saved) return typeof args[0] === "string" ? ctx.saved.responseHeaders.first(lookupName(args[0])) : undefined;
    checkPhase(ctx.phase, HEADER_BODY_LOG);
    return undefined;
  },
  "kong.response.get_headers": ({ ctx }) => {
    if (ctx.saved) return ctx.saved.responseHeaders.toMultiMap(100);
    checkPhase(ctx.phase, HEADER_BODY_LOG);
    return undefined;
  },
  "kong.response.get_source": ({ ctx }) => {
    if (!ctx.saved) checkPhase(ctx.phase, HEADER_BODY_LOG);
    if (ctx.unexpected) return "error";
    if (ctx.delayedResponse) return "exit";
    return ctx.proxied ? "service" : "error";
  },
  "kong.response.set_header": ({ ctx, env, args }) => {
    checkPhase(ctx.phase, REWRITE_ACCESS_HEADER);
    const [name, value] = args;
    validateHeader(name, value);
    if (isTransferEncoding(name)) {
      env.log("warn", "manually setting Transfer-Encoding. Ignored.", ctx);
      return undefined;
    }
    ctx.responseHeaders.set(responseHeaderName(name), normalizeMultiHeader(value));
    return undefined;
  },
  "kong.response.add_header": ({ ctx, args }) => {
    checkPhase(ctx.phase, REWRITE_ACCESS_HEADER);
    const [name, value] = args;
    validateHeader(name, value);
    ctx.responseHeaders.add(responseHeaderName(name), normalizeMultiHeader(value));
    return undefined;
  },
  "kong.response.set_headers": ({ ctx, env, args }) => {
    checkPhase(ctx.phase, REWRITE_ACCESS_HEADER);
    const headers = args[0];
    validateHeaders(headers);
    for (const [name, value] of tableEntries(headers)) {
      const key = String(name);
      if (isTransferEncoding(key)) env.log("warn", "manually setting Transfer-Encoding. Ignored.", ctx);
      else ctx.responseHeaders.set(responseHeaderName(key), normalizeMultiHeader(value));
    }
    return undefined;
  },
  "kong.response.exit": ({ ctx, args }) => {
    checkPhase(ctx.phase, REWRITE_ACCESS_HEADER);
    const [statusArg, body, headersArg] = args;
    const status = checkStatus(statusArg, 100);
    const tbody = luaType(body);
    if (tbody !== "nil" && tbody !== "string" && tbody !== "table") throw new LuaError("body must be a nil, string or table");
    const headers = checkHeadersArg(headersArg);
    ctx.delayedResponse = { status, content: body ?? undefined, headers, source: "exit" };
    throw new ExitSignal("kong.response.exit");
  },
  "kong.response.error": ({ ctx, args }) => {
    checkPhase(ctx.phase, REWRITE_ACCESS_HEADER);
    const [statusArg, messageArg, headersArg] = args;
    const status = checkStatus(statusArg, 400);
    let message: string | undefined;
    if (messageArg !== null && messageArg !== undefined) {
      if (luaType(messageArg) === "table") message = cjsonEncode(messageArg);
      else if (typeof messageArg === "string") message = messageArg;
      else throw new LuaError("message must be a nil, a string or a table");
    }
    const headers = checkHeadersArg(headersArg) ?? {};
    const given = headers["Content-Type"];
    const contentType = given === undefined ? responseTypeFor(ctx.headers.values("accept").join(",") || undefined) : String(Array.isArray(given) ? given[0] : given);
    headers["Content-Type"] = contentType;
    const content = errorBody(contentType, message ?? defaultErrorMessage(status), ctx.requestId);
    ctx.delayedResponse = { status, content, headers, source: "exit" };
    throw new ExitSignal("kong.response.error");
  },
};

function isTransferEncoding(name: string): boolean {
  const lower = name.toLowerCase();
  return lower === "transfer-encoding" || lower === "transfer_encoding";
}
