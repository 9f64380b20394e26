// HTTP through the running stack for the end-to-end tests: tokens from the auth service, requests through a
// gateway with the echo upstream's answer decoded (where the request landed, what reached it).
import { Agent, request } from "undici";

export interface Echo {
  variant: "stable" | "canary";
  headers: Record<string, string>;
}

export interface GatewayReply {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** The echo upstream's answer, or null for a reply the gateway produced itself. */
  echo: Echo | null;
}

export class StackClient {
  private readonly agent = new Agent({ connections: 64, keepAliveTimeout: 10_000 });

  async token(authUrl: string, sub: string, groups: string[] = []): Promise<string> {
    const res = await request(`${authUrl}/token`, {
      method: "POST", dispatcher: this.agent,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ sub, groups, ttlSeconds: 600 }),
    });
    const body: unknown = await res.body.json();
    if (res.statusCode !== 200 || typeof body !== "object" || body === null || typeof (body as Record<string, unknown>)["access_token"] !== "string") {
      throw new Error(`POST /token for ${sub} answered ${res.statusCode}: ${JSON.stringify(body)}`);
    }
    return (body as Record<string, string>)["access_token"]!;
  }

  async json(url: string, method: "GET" | "POST" = "GET"): Promise<Record<string, unknown>> {
    const res = await request(url, { method, dispatcher: this.agent });
    const body: unknown = await res.body.json();
    if (typeof body !== "object" || body === null) throw new Error(`${url} did not answer a JSON object`);
    return body as Record<string, unknown>;
  }

  async get(baseUrl: string, path: string, headers: Record<string, string> = {}): Promise<GatewayReply> {
    const res = await request(`${baseUrl}${path}`, { method: "GET", headers, dispatcher: this.agent });
    const body = await res.body.text();
    const flat: Record<string, string> = {};
    for (const [name, value] of Object.entries(res.headers)) if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(", ") : value;
    return { status: res.statusCode, headers: flat, body, echo: decodeEcho(body) };
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}

function decodeEcho(body: string): Echo | null {
  try {
    const parsed: unknown = JSON.parse(body);
    if (typeof parsed !== "object" || parsed === null) return null;
    const { variant, headers } = parsed as Record<string, unknown>;
    if ((variant !== "stable" && variant !== "canary") || typeof headers !== "object" || headers === null) return null;
    return { variant, headers: headers as Record<string, string> };
  } catch {
    return null;
  }
}

export function bearer(token: string, extra: Record<string, string> = {}): Record<string, string> {
  return { authorization: `Bearer ${token}`, ...extra };
}

/** Runs `work` over `items` with at most `limit` in flight, results in input order. */
export async function mapLimit<T, R>(items: T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!, index);
    }
  });
  await Promise.all(lanes);
  return results;
}
