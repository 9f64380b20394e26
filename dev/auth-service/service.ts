import { type IncomingMessage, type ServerResponse, createServer } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import type { AuthFaults, AuthService, AuthServiceOptions, FaultTarget, ListeningServer, TokenRequest, TokenResponse } from "./types.js";
import { TokenEndpoints, readJson } from "./endpoints.js";
import { applyFaults } from "./fault-replies.js";
import { FaultSchedule, checkFaults } from "./faults.js";
import { type Reply, badRequest, jsonReply, sendHalfThenClose, sendReply } from "./http-io.js";
import { RestartableListener } from "./restartable-listener.js";
import { DEFAULT_KEY_GRACE_SECONDS, KeyRing, MAX_KEY_GRACE_SECONDS } from "./key-ring.js";
import { DEFAULT_SIGNING_ALGORITHM, SIGNING_ALGORITHMS, isSigningAlgorithm } from "./signing-keys.js";
import { CallCounter } from "./stats.js";
import { TokenAuthority } from "./token-authority.js";
import { MAX_TTL_SECONDS, checkTokenRequest } from "./token-request.js";

const NO_STORE = { "cache-control": "no-store" };

export async function createAuthService(options: AuthServiceOptions = {}): Promise<AuthService> {
  const issuer = options.issuer ?? "meshgate-dev-auth";
  const audience = options.audience ?? "meshgate";
  const defaultTtlSeconds = options.defaultTtlSeconds ?? 300;
  if (!Number.isInteger(defaultTtlSeconds) || defaultTtlSeconds < 1 || defaultTtlSeconds > MAX_TTL_SECONDS) {
    throw new RangeError(`defaultTtlSeconds must be an integer from 1 to ${MAX_TTL_SECONDS}, got ${defaultTtlSeconds}`);
  }
  const algorithm = options.algorithm ?? DEFAULT_SIGNING_ALGORITHM;
  if (!isSigningAlgorithm(algorithm)) {
    throw new RangeError(`algorithm must be one of ${SIGNING_ALGORITHMS.join(", ")}, got ${String(algorithm)}`);
  }
  const keyGraceSeconds = options.keyGraceSeconds ?? DEFAULT_KEY_GRACE_SECONDS;
  if (!Number.isInteger(keyGraceSeconds) || keyGraceSeconds < 0 || keyGraceSeconds > MAX_KEY_GRACE_SECONDS) {
    throw new RangeError(`keyGraceSeconds must be an integer from 0 to ${MAX_KEY_GRACE_SECONDS}, got ${keyGraceSeconds}`);
  }
  const nowMs = options.now ?? Date.now;
  const log = options.log ?? null;

  const keys = await KeyRing.create(keyGraceSeconds, nowMs);
  const authority = new TokenAuthority({ keys, defaultAlgorithm: algorithm, issuer, audience, nowMs });
  const endpoints = new TokenEndpoints(authority, defaultTtlSeconds);
  const counter = new CallCounter();
  const schedule = new FaultSchedule();
  // Aborted on close() so that delayed requests do not outlive the service.
  let lifetime = new AbortController();

  const server = createServer({ keepAlive: true }, (req, res) => {
    const started = performance.now();
    if (log !== null) res.on("close", () => log(requestLogLine(req, res, started)));
    route(req, res).catch(() => {
      if (!res.headersSent) sendReply(res, jsonReply(500, { error: "server_error" }, NO_STORE));
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 65_000;
  const listener = new RestartableListener(server);

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = pathOf(req.url);
    const method = req.method ?? "GET";
    if (path === null) return sendReply(res, badRequest("path", "the request target is not a valid path"));
    if (path === "/verify" || path.startsWith("/verify/")) return faultable("verify", req, res);
    switch (path) {
      case "/introspect":
        return method === "POST" ? faultable("introspect", req, res) : methodNotAllowed(res, "POST");
      case "/token":
        if (method !== "POST") return methodNotAllowed(res, "POST");
        counter.count("token");
        return reply(res, await endpoints.token(req));
      case "/revoke":
        if (method !== "POST") return methodNotAllowed(res, "POST");
        counter.count("revoke");
        return reply(res, await endpoints.revoke(req));
      case "/.well-known/jwks.json":
        return method === "GET" ? faultable("jwks", req, res) : methodNotAllowed(res, "GET");
      case "/rotate":
        if (method !== "POST") return methodNotAllowed(res, "POST");
        req.resume();
        counter.count("rotate");
        return sendReply(res, jsonReply(200, await keys.rotate(), NO_STORE));
      case "/healthz":
        return sendReply(res, jsonReply(200, { status: "ok" }, NO_STORE));
      case "/stats":
        return method === "GET" ? sendReply(res, jsonReply(200, counter.snapshot(), NO_STORE)) : methodNotAllowed(res, "GET");
      case "/stats/reset":
        if (method !== "POST") return methodNotAllowed(res, "POST");
        counter.reset();
        return sendReply(res, jsonReply(200, counter.snapshot(), NO_STORE));
      case "/faults":
        return faultControl(method, req, res);
      default:
        req.resume();
        return sendReply(res, jsonReply(404, { error: "not_found", path }, NO_STORE));
    }
  }

  async function faultable(endpoint: FaultTarget, req: IncomingMessage, res: ServerResponse): Promise<void> {
    counter.count(endpoint);
    const call = schedule.nextCall(endpoint);
    if (call.selected && call.faults.down === true) {
      req.socket.resetAndDestroy();
      return;
    }
    if (call.delayMs > 0 && !(await delayUnlessGone(res, call.delayMs))) return;
    const computed = await computeReply(endpoint, req);
    if (computed === null) return;
    if (!call.selected) return sendReply(res, computed);
    const faulted = applyFaults(computed, call.faults);
    if (faulted.closeMidBody) sendHalfThenClose(res, faulted.reply);
    else sendReply(res, faulted.reply);
  }

  function computeReply(endpoint: FaultTarget, req: IncomingMessage): Promise<Reply | null> | Reply {
    switch (endpoint) {
      case "introspect":
        return endpoints.introspect(req);
      case "verify":
        return endpoints.verify(req);
      case "jwks":
        req.resume();
        return jsonReply(200, keys.jwks());
    }
  }

  /** Waits without blocking other requests; false when the client or the service went away meanwhile. */
  async function delayUnlessGone(res: ServerResponse, delayMs: number): Promise<boolean> {
    const gone = new AbortController();
    const onClose = (): void => gone.abort();
    res.on("close", onClose);
    try {
      await sleep(delayMs, undefined, { signal: AbortSignal.any([gone.signal, lifetime.signal]) });
      return true;
    } catch {
      return false;
    } finally {
      res.off("close", onClose);
    }
  }

  async function faultControl(method: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (method === "GET") return sendReply(res, jsonReply(200, schedule.current(), NO_STORE));
    if (method === "DELETE") {
      schedule.clear();
      return sendReply(res, jsonReply(200, schedule.current(), NO_STORE));
    }
    if (method !== "POST") return methodNotAllowed(res, "GET, POST, DELETE");
    const json = await readJson(req);
    if (json.kind !== "json") return reply(res, json.reply);
    const checked = checkFaults(json.value);
    if (!checked.ok) return sendReply(res, badRequest(checked.field, checked.message));
    schedule.set(checked.value);
    return sendReply(res, jsonReply(200, schedule.current(), NO_STORE));
  }

  const service: AuthService = {
    issuer,
    audience,
    algorithm,
    get kid() {
      return keys.signingKey(algorithm).kid;
    },
    async listen(port = 0, host = "127.0.0.1"): Promise<ListeningServer> {
      await listener.listen(port, host);
      lifetime = new AbortController();
      return { port: listener.port, url: listener.url, close: () => service.close() };
    },
    stopListening: () => listener.stop(),
    async startListening(): Promise<void> {
      await listener.start();
      if (lifetime.signal.aborted) lifetime = new AbortController();
    },
    async close(): Promise<void> {
      lifetime.abort();
      await listener.stop();
    },
    stats: () => counter.snapshot(),
    resetStats: () => counter.reset(),
    setFaults(faults: AuthFaults): void {
      const checked = checkFaults(faults);
      if (!checked.ok) throw new TypeError(`faults.${checked.field}: ${checked.message}`);
      schedule.set(checked.value);
    },
    getFaults: () => schedule.current(),
    clearFaults: () => schedule.clear(),
    async issueToken(request: TokenRequest): Promise<TokenResponse> {
      const checked = checkTokenRequest(request, defaultTtlSeconds);
      if (!checked.ok) throw new TypeError(`${checked.field}: ${checked.message}`);
      return authority.issue(checked.value);
    },
    revokeToken: (token: string) => authority.revoke(token),
    rotateKeys: () => keys.rotate(),
  };
  return service;
}

function reply(res: ServerResponse, computed: Reply | null): void {
  if (computed !== null) sendReply(res, computed);
}

function methodNotAllowed(res: ServerResponse, allow: string): void {
  res.req.resume();
  sendReply(res, jsonReply(405, { error: "method_not_allowed", allow }, { allow, ...NO_STORE }));
}

function pathOf(target: string | undefined): string | null {
  try {
    return new URL(target ?? "/", "http://auth.invalid").pathname;
  } catch {
    return null;
  }
}

/** Method, path without the query (it may carry a token), status, duration. Never headers or bodies. */
function requestLogLine(req: IncomingMessage, res: ServerResponse, startedMs: number): string {
  const path = pathOf(req.url) ?? "(invalid)";
  const outcome = res.writableFinished ? String(res.statusCode) : "reset";
  return `auth ${req.method ?? "?"} ${path} ${outcome} ${(performance.now() - startedMs).toFixed(1)}ms`;
}
