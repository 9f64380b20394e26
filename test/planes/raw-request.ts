// What the plane tests send and read on the gateways' HTTP fronts, over the raw client (test/support/raw-http.ts).
import { rawRequest, type RawResponse } from "../support/raw-http.js";

export type { RawResponse };

/** `GET <target>` with the header lines in order (latin1 byte strings) plus `connection: close`, sent raw. */
export function sendRaw(port: number, target: string, headers: Array<[string, string]>, timeoutMs: number): Promise<RawResponse> {
  return rawRequest(port, { target, headers: [...headers, ["connection", "close"]] }, { timeoutMs });
}

/** What the echo upstream saw (variant, and the request headers by lower-case name as latin1 text), or null
 *  for a local reply. */
export function echoed(r: RawResponse): { variant: "stable" | "canary"; headers: Record<string, string> } | null {
  try {
    const body = JSON.parse(r.body.toString("utf8")) as { variant?: unknown; headers?: Record<string, string> };
    if (body.variant === "stable" || body.variant === "canary") return { variant: body.variant, headers: body.headers ?? {} };
  } catch {
    // a local reply or a non-JSON body
  }
  return null;
}
