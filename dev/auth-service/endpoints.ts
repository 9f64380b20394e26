import type { IncomingMessage } from "node:http";
import type { ActiveToken } from "./types.js";
import type { TokenAuthority } from "./token-authority.js";
import { checkTokenRequest } from "./token-request.js";
import { type Reply, badRequest, emptyReply, jsonReply, mediaType, readBody, tooLarge } from "./http-io.js";

export const REQUEST_BODY_LIMIT = 64 * 1024;
export const MAX_CACHE_SECONDS = 60;
export const REALM = "meshgate-dev-auth";
const FORM_TYPE = "application/x-www-form-urlencoded";
const NO_STORE = { "cache-control": "no-store" };

/** The token endpoints. Each returns the reply to send, or null when the client went away. */
export class TokenEndpoints {
  constructor(
    private readonly authority: TokenAuthority,
    private readonly defaultTtlSeconds: number,
  ) {}

  async token(req: IncomingMessage): Promise<Reply | null> {
    const json = await readJson(req);
    if (json.kind !== "json") return json.reply;
    const checked = checkTokenRequest(json.value, this.defaultTtlSeconds);
    if (!checked.ok) return badRequest(checked.field, checked.message);
    return jsonReply(200, await this.authority.issue(checked.value), NO_STORE);
  }

  /** RFC 7662. Client authentication is not required by this reference service (see README). */
  async introspect(req: IncomingMessage): Promise<Reply | null> {
    const form = await readTokenForm(req);
    if (form.kind !== "token") return form.reply;
    const active = await this.authority.verify(form.token);
    if (active === null) return jsonReply(200, { active: false }, NO_STORE);
    return jsonReply(200, introspectionBody(active), { "cache-control": `max-age=${this.cacheSeconds(active)}` });
  }

  /** Forward mode (ext_authz HTTP style): the status is the decision, identity travels in response headers. */
  async verify(req: IncomingMessage): Promise<Reply | null> {
    req.resume();
    const authorization = req.headers.authorization;
    if (authorization === undefined || authorization.trim() === "") {
      return emptyReply(401, { "www-authenticate": `Bearer realm="${REALM}"`, ...NO_STORE });
    }
    const match = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(authorization);
    const active = match === null ? null : await this.authority.verify(match[1]!);
    if (active === null) {
      return emptyReply(401, { "www-authenticate": `Bearer realm="${REALM}", error="invalid_token"`, ...NO_STORE });
    }
    return emptyReply(200, {
      "x-auth-subject": active.sub,
      "x-auth-groups": active.groups.join(","),
      "x-auth-scope": active.scope,
      "cache-control": `max-age=${this.cacheSeconds(active)}`,
    });
  }

  /** RFC 7009: 200 whether or not the token was valid. */
  async revoke(req: IncomingMessage): Promise<Reply | null> {
    const form = await readTokenForm(req);
    if (form.kind !== "token") return form.reply;
    await this.authority.revoke(form.token);
    return emptyReply(200, NO_STORE);
  }

  private cacheSeconds(active: ActiveToken): number {
    return Math.max(0, Math.min(MAX_CACHE_SECONDS, active.exp - this.authority.nowSeconds()));
  }
}

function introspectionBody(active: ActiveToken): Record<string, unknown> {
  const body: Record<string, unknown> = {
    active: true,
    sub: active.sub,
    exp: active.exp,
    iat: active.iat,
    groups: active.groups,
    scope: active.scope,
    token_type: "Bearer",
    iss: active.iss,
    aud: active.aud,
    jti: active.jti,
  };
  if (active.clientId !== null) body.client_id = active.clientId;
  return body;
}

type JsonBody = { kind: "json"; value: unknown } | { kind: "reply"; reply: Reply | null };

export async function readJson(req: IncomingMessage): Promise<JsonBody> {
  const body = await readBody(req, REQUEST_BODY_LIMIT);
  if (!body.ok) return { kind: "reply", reply: body.reason === "too_large" ? tooLarge(REQUEST_BODY_LIMIT) : null };
  try {
    return { kind: "json", value: JSON.parse(body.body.toString("utf8")) };
  } catch {
    return { kind: "reply", reply: badRequest("body", "the body must be valid JSON") };
  }
}

type TokenForm = { kind: "token"; token: string } | { kind: "reply"; reply: Reply | null };

async function readTokenForm(req: IncomingMessage): Promise<TokenForm> {
  if (mediaType(req) !== FORM_TYPE) {
    req.resume();
    return { kind: "reply", reply: badRequest("content-type", `the body must be ${FORM_TYPE} (RFC 7662 / RFC 7009)`) };
  }
  const body = await readBody(req, REQUEST_BODY_LIMIT);
  if (!body.ok) return { kind: "reply", reply: body.reason === "too_large" ? tooLarge(REQUEST_BODY_LIMIT) : null };
  const token = new URLSearchParams(body.body.toString("utf8")).get("token");
  if (token === null || token === "") return { kind: "reply", reply: badRequest("token", "the form field 'token' is required") };
  return { kind: "token", token };
}
