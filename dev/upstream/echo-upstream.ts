import { listenHttp1, type ListeningFront } from "../hosts/http1/server.js";
import { OriginWireRules } from "../hosts/http1/origin-rules.js";
import type { Http1Request, Http1Response } from "../hosts/http1/types.js";

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
  /** Exactly the bytes that arrived, as hex: the request target, and every header line in order. */
  bytes: { target: string; headers: Array<[string, string]> };
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

  const serve = async (req: Http1Request): Promise<Http1Response> => {
    let bodyBytes = 0;
    if (req.body) for await (const chunk of req.body) bodyBytes += (chunk as Buffer).length;
    if (log !== null) log(`upstream ${variant} ${req.head.method} ${pathWithoutQuery(req.head.target)} 200 ${bodyBytes}B`);
    return respond(req, variant, bodyBytes);
  };

  return {
    variant,
    async listen(port = 0, host = "127.0.0.1"): Promise<ListeningUpstream> {
      // Longer than common client pools' idle timeouts, so a pooled connection is not closed under a request.
      const front: ListeningFront = await listenHttp1({ rules: new OriginWireRules(), handler: serve, keepAliveTimeoutMs: 65_000, addDate: true }, port, host);
      return {
        port: front.port,
        url: `http://${host.includes(":") ? `[${host}]` : host}:${front.port}`,
        close: () => front.close(),
      };
    },
  };
}

const hex = (bytes: string): string => Buffer.from(bytes, "latin1").toString("hex");

/** Header names and values are the bytes received, shown as latin1 text in `path` and `headers`. */
function respond(req: Http1Request, variant: UpstreamVariant, bodyBytes: number): Http1Response {
  const { head } = req;
  const headers = Object.create(null) as Record<string, string>; // a header named __proto__ is just a header
  for (const [name, value] of head.headers) {
    const key = name.toLowerCase();
    headers[key] = key in headers ? `${headers[key]}, ${value}` : value;
  }
  const reply: EchoReply = {
    variant,
    method: head.method,
    path: head.target,
    headers,
    bodyBytes,
    bytes: { target: hex(head.target), headers: head.headers.map(([n, v]) => [hex(n), hex(v)]) },
  };
  return {
    status: 200,
    headers: [["content-type", "application/json"], ["x-upstream-variant", variant]],
    body: Buffer.from(JSON.stringify(reply), "utf8"),
  };
}

function pathWithoutQuery(target: string | undefined): string {
  const path = target ?? "";
  const query = path.indexOf("?");
  return query === -1 ? path : path.slice(0, query);
}
