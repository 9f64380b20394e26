// Calls the auth service over a keep-alive undici pool per origin, with a hard deadline and a cap on
// the body read. Every outcome is a value: an answer, or a failure kind the core understands.
import { Pool } from "undici";
import type { AuthRequest } from "../../shared/src/auth";
import { MAX_AUTH_RESPONSE_BYTES } from "../../shared/src/auth";
import { Header } from "../../shared/src/headers";

export type AuthAnswer =
  | { kind: "response"; status: number; headers: Header[]; body: Uint8Array; latencyMs: number }
  | { kind: "failure"; failure: "timeout" | "connect" | "reset" | "too_large" | "bad_url"; latencyMs: number };

const pools = new Map<string, Pool>();

function poolFor(origin: string): Pool {
  let pool = pools.get(origin);
  if (!pool) {
    pool = new Pool(origin, { connections: 64, pipelining: 1, keepAliveTimeout: 30_000, connectTimeout: 1_000 });
    pools.set(origin, pool);
  }
  return pool;
}

export async function callAuthService(req: AuthRequest): Promise<AuthAnswer> {
  const started = performance.now();
  const elapsed = (): number => performance.now() - started;
  let url: URL;
  try {
    url = new URL(req.url);
  } catch {
    return { kind: "failure", failure: "bad_url", latencyMs: 0 };
  }
  const headers: Record<string, string> = {};
  for (const h of req.headers) headers[h.name] = h.value;
  const deadline = AbortSignal.timeout(req.timeoutMs);
  try {
    const response = await poolFor(url.origin).request({
      method: req.method as "GET" | "POST",
      path: url.pathname + url.search,
      headers,
      body: req.body.length > 0 ? req.body : undefined,
      signal: deadline,
      headersTimeout: req.timeoutMs,
      bodyTimeout: req.timeoutMs,
    });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of response.body) {
      const piece = chunk as Buffer;
      size += piece.length;
      if (size > MAX_AUTH_RESPONSE_BYTES) {
        response.body.destroy();
        return { kind: "failure", failure: "too_large", latencyMs: elapsed() };
      }
      chunks.push(piece);
    }
    const answerHeaders: Header[] = [];
    for (const [name, value] of Object.entries(response.headers)) {
      if (value === undefined) continue;
      for (const v of Array.isArray(value) ? value : [value]) answerHeaders.push(new Header(name.toLowerCase(), v));
    }
    return { kind: "response", status: response.statusCode, headers: answerHeaders, body: Buffer.concat(chunks), latencyMs: elapsed() };
  } catch (error) {
    return { kind: "failure", failure: classify(error, deadline), latencyMs: elapsed() };
  }
}

function classify(error: unknown, deadline: AbortSignal): "timeout" | "connect" | "reset" {
  if (deadline.aborted) return "timeout";
  const code = typeof error === "object" && error !== null && "code" in error ? String((error as { code: unknown }).code) : "";
  if (code === "UND_ERR_HEADERS_TIMEOUT" || code === "UND_ERR_BODY_TIMEOUT" || code === "UND_ERR_CONNECT_TIMEOUT") return "timeout";
  if (code === "ECONNREFUSED" || code === "ENOTFOUND" || code === "EHOSTUNREACH" || code === "EAI_AGAIN") return "connect";
  return "reset";
}

export async function closeAuthPools(): Promise<void> {
  const all = [...pools.values()];
  pools.clear();
  await Promise.all(all.map((p) => p.close()));
}
