// What nginx appends to an error-log line (src/http/ngx_http_request.c, ngx_http_log_error and
// ngx_http_log_error_handler; Kong's `lua_kong_error_log_request_id` adds the request id): every line written
// while a request is processed — kong.log.* from rewrite/access included — ends with the client, the server
// name (`kong` in kong/templates/nginx_kong.lua), the raw request line (query string and all), the Host and
// Referer headers. A line written from a timer (the log phase of a plugin server, Kong reading the plugin
// server's output) only carries `context: ngx.timer` and the client/listener it was created from.
import type { RequestContext } from "./request-context.js";

const SERVER_NAME = "kong";

export function requestLogSuffix(ctx: RequestContext): string {
  const incoming = ctx.incoming;
  let suffix = `, client: ${incoming.clientIp}, server: ${SERVER_NAME}, request: "${incoming.method} ${incoming.requestUri} HTTP/1.1"`;
  const host = incoming.headers.first("host");
  if (host !== undefined) suffix += `, host: "${host}"`;
  const referrer = incoming.headers.first("referer");
  if (referrer !== undefined) suffix += `, referrer: "${referrer}"`;
  return `${suffix}, request_id: "${ctx.requestId}"`;
}

export function timerLogSuffix(ctx: RequestContext): string {
  return `, context: ngx.timer, client: ${ctx.incoming.clientIp}, server: 0.0.0.0:${ctx.incoming.serverPort}`;
}

/** The suffix for a line logged on behalf of `ctx` in its current phase (the log phase runs in a timer). */
export function logSuffix(ctx: RequestContext): string {
  return ctx.saved ? timerLogSuffix(ctx) : requestLogSuffix(ctx);
}
