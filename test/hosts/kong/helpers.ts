// Shared bits of the Kong dev-host tests: fixture locations, a recording echo upstream, probe requests.
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const FIXTURES = join(fileURLToPath(new URL(".", import.meta.url)), "fixtures");
export const fixture = (name: string): string => join(FIXTURES, name);

export interface EchoSeen {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface EchoServer {
  name: string;
  url: string;
  port: number;
  seen: EchoSeen[];
  close(): Promise<void>;
}

/** An upstream that answers 200 with a JSON echo and remembers every request. */
export async function startEcho(name: string, extraHeaders: Record<string, string> = {}): Promise<EchoServer> {
  const seen: EchoSeen[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const entry = { method: req.method ?? "", url: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks).toString("utf8") };
      seen.push(entry);
      res.writeHead(200, { "content-type": "application/json", "x-upstream": name, ...extraHeaders });
      res.end(JSON.stringify({ upstream: name, ...entry }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    name,
    port,
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export type ProbeCall = [string, ...unknown[]];

export interface ProbeSpec {
  calls?: ProbeCall[];
  reply?: number;
  throwAfter?: boolean;
  log?: ProbeCall[];
}

/** Headers that make the probe fixture run `spec`. */
export function probe(spec: ProbeSpec, extra: Record<string, string> = {}): Record<string, string> {
  return { "x-probe": JSON.stringify(spec), ...extra };
}

export interface ProbeReply {
  results: unknown[];
  config: Record<string, unknown>;
}

export function probeReply(body: string): ProbeReply {
  return JSON.parse(body) as ProbeReply;
}
