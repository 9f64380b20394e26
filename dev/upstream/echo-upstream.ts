import { type IncomingMessage, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";

export type UpstreamVariant = "stable" | "canary";
export const UPSTREAM_VARIANTS: readonly UpstreamVariant[] = ["stable", "canary"];

export interface EchoReply {
  variant: UpstreamVariant;
  method: string;
  /** The request target as received: path and query. */
  path: string;
  /** Lower-case header names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  bodyBytes: number;
}

export interface EchoUpstreamOptions {
  /** Receives one line per request when set (main.ts sets it for UPSTREAM_LOG=1). */
  log?: (line: string) => void;
}

export interface ListeningUpstream {
  port: number;
  url: string;
  close(): Promise<void>;
}

export interface EchoUpstream {
  readonly variant: UpstreamVariant;
  listen(port?: number, host?: string): Promise<ListeningUpstream>;
}

export function isUpstreamVariant(value: string): value is UpstreamVariant {
  return (UPSTREAM_VARIANTS as readonly string[]).includes(value);
}

/** An upstream answering every method and path with 200 and a JSON echo of what reached it. */
export function createEchoUpstream(variant: UpstreamVariant, options: EchoUpstreamOptions = {}): EchoUpstream {
  if (!isUpstreamVariant(variant)) throw new TypeError(`variant must be one of ${UPSTREAM_VARIANTS.join(", ")}, got '${String(variant)}'`);
  const log = options.log ?? null;

  const server = createServer((req, res) => {
    let bodyBytes = 0;
    req.on("data", (chunk: Buffer) => {
      bodyBytes += chunk.length;
    });
    req.on("end", () => {
      respond(req, res, variant, bodyBytes);
      if (log !== null) log(`upstream ${variant} ${req.method ?? "?"} ${pathWithoutQuery(req.url)} 200 ${bodyBytes}B`);
    });
    req.on("error", () => res.destroy());
  });
  // Longer than common client pools' idle timeouts, so a pooled connection is not closed under a request.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;

  return {
    variant,
    async listen(port = 0, host = "127.0.0.1"): Promise<ListeningUpstream> {
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => {
          server.off("error", reject);
          resolve();
        });
      });
      const bound = (server.address() as AddressInfo).port;
      return {
        port: bound,
        url: `http://${host.includes(":") ? `[${host}]` : host}:${bound}`,
        close: () =>
          new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeAllConnections();
          }),
      };
    },
  };
}

function respond(req: IncomingMessage, res: ServerResponse, variant: UpstreamVariant, bodyBytes: number): void {
  const reply: EchoReply = {
    variant,
    method: req.method ?? "",
    path: req.url ?? "",
    headers: joinedHeaders(req),
    bodyBytes,
  };
  const body = JSON.stringify(reply);
  res.writeHead(200, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(body),
    "x-upstream-variant": variant,
  });
  res.end(body);
}

function joinedHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, values] of Object.entries(req.headersDistinct)) {
    if (values !== undefined) headers[name] = values.join(", ");
  }
  return headers;
}

function pathWithoutQuery(target: string | undefined): string {
  const path = target ?? "";
  const query = path.indexOf("?");
  return query === -1 ? path : path.slice(0, query);
}
