// `kong.response.error` bodies: content type from the headers argument or the request's Accept header
// (`kong/tools/http.lua` get_response_type / get_error_template), message inserted raw like Lua's string.format.
import { LuaError } from "./lua.js";

const JSON_TYPE = "application/json; charset=utf-8";
const MIME_TYPES: Record<string, string> = {
  "text/html": "text/html; charset=utf-8",
  "application/json": JSON_TYPE,
  "text/plain": "text/plain; charset=utf-8",
  "application/xml": "application/xml; charset=utf-8",
  application: JSON_TYPE,
  text: "text/plain; charset=utf-8",
};

const TEMPLATES: Record<string, string> = {
  "text/html; charset=utf-8": '<!doctype html>\n<html>\n  <head>\n    <meta charset="utf-8">\n    <title>Error</title>\n  </head>\n  <body>\n    <h1>Error</h1>\n    <p>%s.</p>\n    <p>request_id: %s</p>\n  </body>\n</html>\n',
  [JSON_TYPE]: '{\n  "message":"%s",\n  "request_id":"%s"\n}',
  "text/plain; charset=utf-8": "%s\nrequest_id: %s\n",
  "application/xml; charset=utf-8": '<?xml version="1.0" encoding="UTF-8"?>\n<error>\n  <message>%s</message>\n  <requestid>%s</requestid>\n</error>\n',
};
const TEMPLATE_ALIASES: Record<string, string> = {
  "application/json": JSON_TYPE,
  "text/html": "text/html; charset=utf-8",
  "text/plain": "text/plain; charset=utf-8",
  "application/xml": "application/xml; charset=utf-8",
};

export const HTTP_ERROR_MESSAGES: Record<number, string> = {
  400: "Bad request", 401: "Unauthorized", 402: "Payment required", 403: "Forbidden", 404: "Not found",
  405: "Method not allowed", 406: "Not acceptable", 407: "Proxy authentication required", 408: "Request timeout",
  409: "Conflict", 410: "Gone", 411: "Length required", 412: "Precondition failed", 413: "Payload too large",
  414: "URI too long", 415: "Unsupported media type", 416: "Range not satisfiable", 417: "Expectation failed",
  418: "I'm a teapot", 421: "Misdirected request", 422: "Unprocessable entity", 423: "Locked",
  424: "Failed dependency", 425: "Too early", 426: "Upgrade required", 428: "Precondition required",
  429: "Too many requests", 431: "Request header fields too large", 451: "Unavailable for legal reasons",
  494: "Request header or cookie too large", 500: "An unexpected error occurred", 501: "Not implemented",
  502: "An invalid response was received from the upstream server", 503: "The upstream server is currently unavailable",
  504: "The upstream server is timing out", 505: "HTTP version not supported", 506: "Variant also negotiates",
  507: "Insufficient storage", 508: "Loop detected", 510: "Not extended", 511: "Network authentication required",
};

export function defaultErrorMessage(status: number): string {
  return HTTP_ERROR_MESSAGES[status] ?? `The upstream server responded with ${status}`;
}

function mimeTypeOf(mediaType: string): string {
  const [major, minor] = mediaType.trim().split(";")[0]!.trim().split("/");
  if (minor === "*") return major === "*" ? JSON_TYPE : (MIME_TYPES[major ?? ""] ?? JSON_TYPE);
  return MIME_TYPES[`${major}/${minor}`] ?? JSON_TYPE;
}

/** `get_response_type(accept)`: the media type with the highest q wins; JSON by default. */
export function responseTypeFor(accept: string | undefined): string {
  let contentType = JSON_TYPE;
  if (accept === undefined) return contentType;
  let best = 0;
  for (const item of accept.split(",")) {
    const m = /^\s*((?:[a-z0-9][a-z0-9\-!#$&^_+.]+|\*)\/(?:[a-z0-9][a-z0-9\-!#$&^_+.]+|\*))((?:\s*;\s*[^;]*)*)$/i.exec(item.trim());
    if (!m) continue;
    const q = /;\s*q\s*=\s*([01](?:\.\d{0,3})?)/i.exec(m[2] ?? "");
    const quality = q ? Number(q[1]) : 1;
    if (quality > best) {
      best = quality;
      contentType = mimeTypeOf(m[1] ?? "");
    }
  }
  return contentType;
}

export function errorBody(contentType: string, message: string, requestId: string): string {
  const template = TEMPLATES[contentType] ?? TEMPLATES[TEMPLATE_ALIASES[contentType] ?? ""];
  if (template === undefined) throw new LuaError("bad argument #1 to 'format' (string expected, got nil)");
  return template.replace("%s", () => message).replace("%s", () => requestId);
}
