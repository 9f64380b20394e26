// Calls the auth service over a keep-alive undici pool per origin, with a hard deadline and a cap on
// the body read. Every outcome is a value: an answer, or a failure kind the core understands.
import { Pool } from "undici";
import type { AuthRequest } from "../../shared/src/auth";
import { MAX_AUTH_RESPONSE_BYTES } from "../../shared/src/auth";
import { Header } from "../../shared/src/headers";
import { failureOf, readBounded } from "./http-read";

export type AuthAnswer =
  | { kind: "response"; status: number; headers: Header[]; body: Buffer; latencyMs: number }
  | { kind: "failure"; failure: AuthFailureKind; latencyMs: number };

/**
 * Transport failures, plus three kinds where no call was made: `bad_url`; `invalid_header`, a header the client
 * controls (a forwarded header) holds a byte HTTP cannot carry; `breaker_open`, the circuit breaker toward this
 * auth service is open (circuit-breaker.ts).
 */
export type AuthFailureKind = "timeout" | "connect" | "reset" | "too_large" | "bad_url" | "invalid_header" | "breaker_open";

/** Failure kinds of calls that were never sent: not auth calls for the metrics, not failures of the service. */
export const NO_CALL_MADE: ReadonlySet<AuthFailureKind> = new Set(["bad_url", "invalid_header", "breaker_open"]);

/** How long past its own deadline a call may take before the pool is presumed stuck and replaced. */
const STUCK_GRACE_MS = 250;

const pools = new Map<string, Pool>();

function poolFor(origin: string): Pool {
  let pool = pools.get(origin);
  if (!pool) {
    pool = new Pool(origin, { connections: 64, pipelining: 1, keepAliveTimeout: 30_000, connectTimeout: 1_000 });
    pools.set(origin, pool);
  }
  return pool;
}

/** Drops a pool that stopped honouring deadlines; the next call opens a new one. */
function replacePool(origin: string, pool: Pool): void {
  if (pools.get(origin) === pool) pools.delete(origin);
  pool.destroy().catch(() => undefined);
}

export async function callAuthService(req: AuthRequest): Promise<AuthAnswer> {
  let url: URL;
  try {
    url = new URL(req.url);
  } catch {
    return { kind: "failure", failure: "bad_url", latencyMs: 0 };
  }
  const headers = wireHeaders(req.headers);
  if (headers === null) return { kind: "failure", failure: "invalid_header", latencyMs: 0 };
  const started = performance.now();
  const pool = poolFor(url.origin);
  // undici honours the abort signal for requests it has dispatched; this guard makes the deadline hold even for
  // one it never dispatches (a pool that stopped handing out connections), and replaces such a pool.
  let guard: NodeJS.Timeout | undefined;
  const stuck = new Promise<AuthAnswer>((resolve) => {
    guard = setTimeout(() => {
      replacePool(url.origin, pool);
      resolve({ kind: "failure", failure: "timeout", latencyMs: performance.now() - started });
    }, req.timeoutMs + STUCK_GRACE_MS);
  });
  try {
    return await Promise.race([send(pool, url, req, headers, started), stuck]);
  } finally {
    clearTimeout(guard);
  }
}

async function send(pool: Pool, url: URL, req: AuthRequest, headers: Record<string, string>, started: number): Promise<AuthAnswer> {
  const elapsed = (): number => performance.now() - started;
  const deadline = AbortSignal.timeout(req.timeoutMs);
  try {
    const response = await pool.request({
      method: req.method as "GET" | "POST",
      path: url.pathname + url.search,
      headers,
      body: req.body.length > 0 ? req.body : undefined,
      signal: deadline,
      headersTimeout: req.timeoutMs,
      bodyTimeout: req.timeoutMs,
    });
    const body = await readBounded(response.body, MAX_AUTH_RESPONSE_BYTES);
    if (body === null) return { kind: "failure", failure: "too_large", latencyMs: elapsed() };
    const answerHeaders: Header[] = [];
    for (const [name, value] of Object.entries(response.headers)) {
      if (value === undefined) continue;
      for (const v of Array.isArray(value) ? value : [value]) answerHeaders.push(new Header(name.toLowerCase(), v));
    }
    return { kind: "response", status: response.statusCode, headers: answerHeaders, body, latencyMs: elapsed() };
  } catch (error) {
    return { kind: "failure", failure: failureOf(error, deadline), latencyMs: elapsed() };
  }
}

/** RFC 9110 token characters: what a field name may be. */
const FIELD_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Control characters a field value cannot carry (tab is allowed). */
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/;

/** A character a byte string cannot hold. */
const NOT_A_BYTE = /[^\u0000-\u00ff]/;

/**
 * Headers as undici must get them, or null when one cannot be sent. The core's auth-request values are byte
 * strings (the client's bytes as Kong received them, one character per byte), and undici writes header strings
 * as latin1 — one byte per character — so they go out byte for byte, as on the Envoy plane. A value undici would
 * refuse is never handed to it: undici 7.30 rejects such a request but keeps its connection slot, and after
 * `connections` of them the pool serves nobody again.
 */
export function wireHeaders(list: Header[]): Record<string, string> | null {
  const out: Record<string, string> = {};
  for (const h of list) {
    if (!FIELD_NAME.test(h.name) || CONTROL.test(h.value) || NOT_A_BYTE.test(h.value)) return null;
    out[h.name] = h.value;
  }
  return out;
}

export async function closeAuthPools(): Promise<void> {
  const all = [...pools.values()];
  pools.clear();
  await Promise.all(all.map((p) => p.close()));
}
