// Turning Kong's delayed response into bytes, as `send()` in `kong/pdk/response.lua` does: headers set
// earlier with kong.response.set_header stay, the exit headers override them, a table body is JSON
// (cjson) with a default Content-Type, Content-Length is computed.
import { HeaderStore, responseHeaderName } from "./header-store.js";
import { normalizeMultiHeader } from "./pdk/header-checks.js";
import { cjsonEncode, luaType } from "./pdk/lua.js";
import { errorBody, defaultErrorMessage, responseTypeFor } from "./pdk/error-body.js";
import type { RequestContext } from "./request-context.js";

export const KONG_VERSION = "3.9.1";
const JSON_CONTENT_TYPE = "application/json; charset=utf-8";

export interface ProducedResponse {
  status: number;
  headers: HeaderStore;
  body: Buffer;
}

export function flushDelayedResponse(ctx: RequestContext): ProducedResponse {
  const delayed = ctx.delayedResponse;
  if (!delayed) throw new Error("no delayed response to flush");
  const headers = ctx.responseHeaders.clone();
  let hasContentType = false;
  for (const [name, value] of Object.entries(delayed.headers ?? {})) {
    const lower = name.toLowerCase();
    if (lower === "transfer-encoding" || lower === "transfer_encoding") continue;
    headers.set(responseHeaderName(name), normalizeMultiHeader(value));
    if (lower === "content-type" || lower === "content_type") hasContentType = true;
  }
  let body: Buffer;
  if (luaType(delayed.content) === "table") {
    // Only the exit's own headers count: a Content-Type set earlier with set_header is overwritten, as in Kong.
    if (!hasContentType) headers.set("Content-Type", JSON_CONTENT_TYPE);
    body = Buffer.from(cjsonEncode(delayed.content), "latin1");
  } else if (typeof delayed.content === "string") {
    body = Buffer.from(delayed.content, "latin1"); // a byte string, as the plugin's bytes arrived
  } else if (delayed.content instanceof Uint8Array) {
    body = Buffer.from(delayed.content);
  } else {
    body = Buffer.alloc(0);
  }
  headers.set("Server", `kong/${KONG_VERSION}`);
  headers.set("X-Kong-Request-Id", ctx.requestId);
  return { status: delayed.status, headers, body };
}

/**
 * Kong's answer after a Lua error in a plugin handler: kong/init.lua stores `{message = "An unexpected error
 * occurred"}` as the delayed response (KONG_UNEXPECTED) and flush_delayed_response sends it with
 * kong.response.error — so the body follows the client's Accept and carries the request id, like any error.
 */
export function markUnexpected(ctx: RequestContext): void {
  ctx.unexpected = true;
  const contentType = responseTypeFor(ctx.headers.values("accept").join(",") || undefined);
  const content = errorBody(contentType, defaultErrorMessage(500), ctx.requestId);
  ctx.delayedResponse = { status: 500, content, headers: { "Content-Type": contentType }, source: "error" };
}

/** Kong's error page (kong/error_handlers.lua) for a status nginx produced: 502 when the upstream cannot be
 *  reached, 500 when the balancer could not set a peer. */
export function errorPage(ctx: RequestContext, status: number): ProducedResponse {
  const contentType = responseTypeFor(ctx.headers.values("accept").join(",") || undefined);
  const headers = new HeaderStore();
  headers.set("Content-Type", contentType);
  headers.set("Server", `kong/${KONG_VERSION}`);
  headers.set("X-Kong-Request-Id", ctx.requestId);
  return { status, headers, body: Buffer.from(errorBody(contentType, defaultErrorMessage(status), ctx.requestId)) };
}
