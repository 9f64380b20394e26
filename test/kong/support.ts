// Shared bits of the Kong-plane tests: the built plugin in the real kong-js-pluginserver (meshgate's start
// command) behind the Kong dev host, hosts stopped by the caller, and the PDK calls a request made.
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { KongHost, type KongHostOptions } from "../../dev/hosts/kong/gateway.js";
import type { RpcTraceEntry } from "../../dev/hosts/kong/msgpack-rpc.js";
import { KONG_PLUGINS_DIR } from "../planes/support.js";

export const KONG_TEST_FIXTURES = join(fileURLToPath(new URL(".", import.meta.url)), "fixtures");

export type Doc = Record<string, unknown>;

/** Starts and remembers hosts so one `stopAll()` in afterEach/afterAll stops them. */
export class KongHosts {
  private readonly started: KongHost[] = [];

  async start(config: Doc, serviceUrl: string, options: Partial<KongHostOptions> = {}): Promise<KongHost> {
    const host = await KongHost.start({ pluginsDir: KONG_PLUGINS_DIR, config, serviceUrl, ...options });
    this.started.push(host);
    return host;
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.started.splice(0).map((h) => h.close()));
  }
}

/** The PDK calls (Kong's wire names) the plugin asked for, in order, from a trace of one request's RPCs. */
export function pdkCalls(trace: RpcTraceEntry[]): string[] {
  const calls: string[] = [];
  for (const entry of trace) {
    if (entry.method !== "plugin.HandleEvent" && !entry.method.startsWith("plugin.Step")) continue;
    const data = (entry.result as { Data?: unknown } | undefined)?.Data;
    if (typeof data === "object" && data !== null && typeof (data as { Method?: unknown }).Method === "string") {
      calls.push((data as { Method: string }).Method);
    }
  }
  return calls;
}

/** The same origin named by hostname: a Service Kong can route with set_upstream (an IP Service cannot). */
export function byHostname(url: string): string {
  const named = url.replace("//127.0.0.1:", "//localhost:");
  if (named === url) throw new Error(`expected a 127.0.0.1 URL, got ${url}`);
  return named;
}

export function headerValue(headers: Record<string, string | string[]>, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/** Polls `probe` until it returns true or the deadline passes (for state with no event to await). */
export async function eventually(probe: () => Promise<boolean>, deadlineMs: number, what: string): Promise<void> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    if (await probe()) return;
    if (Date.now() > until) throw new Error(`timed out after ${deadlineMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
