// A bare HTTP client for the dev-service tests: one fresh connection per request, so that connection-level
// faults (reset, refused, closed mid-body) surface as errors with their codes instead of being retried.
import { request } from "node:http";

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  text: string;
}

export interface HttpCall {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export class HttpCallError extends Error {
  constructor(
    message: string,
    readonly code: string,
    /** Set when the failure came after the response head arrived. */
    readonly response: { status: number; headers: Record<string, string>; receivedBytes: number } | null,
  ) {
    super(message);
  }
}

export function http(url: string, call: HttpCall = {}): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: call.method ?? "GET", headers: call.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      let received = 0;
      const head = { status: res.statusCode ?? 0, headers: flatHeaders(res.headers) };
      res.on("data", (chunk: Buffer) => {
        chunks.push(chunk);
        received += chunk.length;
      });
      res.on("error", (error: NodeJS.ErrnoException) =>
        reject(new HttpCallError(error.message, error.code ?? "ERR", { ...head, receivedBytes: received })),
      );
      res.on("end", () => {
        const body = Buffer.concat(chunks);
        resolve({ ...head, body, text: body.toString("utf8") });
      });
    });
    req.on("error", (error: NodeJS.ErrnoException) => reject(new HttpCallError(error.message, error.code ?? "ERR", null)));
    req.end(call.body);
  });
}

export function postJson(url: string, value: unknown): Promise<HttpResponse> {
  return http(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(value) });
}

export function postForm(url: string, fields: Record<string, string>): Promise<HttpResponse> {
  return http(url, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(fields).toString(),
  });
}

export function jsonOf(response: HttpResponse): Record<string, unknown> {
  const value: unknown = JSON.parse(response.text);
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new Error(`expected a JSON object, got ${response.text}`);
  return value as Record<string, unknown>;
}

/** Resolves with the error the call failed with; fails the test if it succeeded. */
export async function failureOf(promise: Promise<HttpResponse>): Promise<HttpCallError> {
  try {
    const response = await promise;
    throw new Error(`expected the call to fail, got status ${response.status}`);
  } catch (error) {
    if (error instanceof HttpCallError) return error;
    throw error;
  }
}

function flatHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return flat;
}
