// What the Kong plane's two outbound HTTP clients (auth service, key sets) read the same way with undici: a body
// up to a size cap, and why a request failed.
import type { Dispatcher } from "undici";

/** The whole body, or null once it passes `maxBytes` (the rest is not read; the connection is dropped). */
export async function readBounded(body: Dispatcher.ResponseData["body"], maxBytes: number): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const piece = chunk as Buffer;
    size += piece.length;
    if (size > maxBytes) {
      body.destroy();
      return null;
    }
    chunks.push(piece);
  }
  return Buffer.concat(chunks);
}

/** Why an undici request failed: past its deadline, no connection, or dropped. */
export function failureOf(error: unknown, deadline: AbortSignal): "timeout" | "connect" | "reset" {
  if (deadline.aborted) return "timeout";
  const code = typeof error === "object" && error !== null && "code" in error ? String((error as { code: unknown }).code) : "";
  if (code === "UND_ERR_HEADERS_TIMEOUT" || code === "UND_ERR_BODY_TIMEOUT" || code === "UND_ERR_CONNECT_TIMEOUT") return "timeout";
  if (code === "ECONNREFUSED" || code === "ENOTFOUND" || code === "EHOSTUNREACH" || code === "EAI_AGAIN") return "connect";
  return "reset";
}
