// The HTTP front of the Envoy-plane dev host: accepts HTTP/1.1 on node:http, assigns each
// connection to a worker VM (Envoy balances connections, not requests), runs the stream and
// writes the response back; a reset stream destroys the connection.

import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { LogLevel } from "./abi.js";
import type { EnvoyHost } from "./host.js";
import type { HttpStream, StreamResponse } from "./http-stream.js";

export interface GatewayHandle {
  port: number;
  close(): Promise<void>;
}

/** One line of the gateway's access log: the path without its query; cluster null for a local reply or reset. */
export interface AccessLogEntry {
  method: string;
  path: string;
  status: number;
  cluster: string | null;
  ms: number;
}

function hasBody(req: IncomingMessage): boolean {
  const length = req.headers["content-length"];
  if (length !== undefined) return Number(length) > 0;
  return req.headers["transfer-encoding"] !== undefined;
}

function address(ip: string | undefined, port: number | undefined): string {
  const host = ip ?? "0.0.0.0";
  return `${host.includes(":") ? `[${host}]` : host}:${port ?? 0}`;
}

function rawHeaders(req: IncomingMessage): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    out.push([(req.rawHeaders[i] ?? "").toLowerCase(), req.rawHeaders[i + 1] ?? ""]);
  }
  return out;
}

async function writeResponse(res: ServerResponse, out: StreamResponse): Promise<void> {
  const flat: string[] = [];
  for (const [k, v] of out.headers.pairs()) if (!k.startsWith(":")) flat.push(k, v);
  res.writeHead(out.status, flat);
  if (out.body instanceof Readable) await pipeline(out.body, res);
  else res.end(Buffer.from(out.body.buffer, out.body.byteOffset, out.body.byteLength));
}

export async function listenGateway(host: EnvoyHost, port: number, bindHost: string,
  onAccess?: (entry: AccessLogEntry) => void): Promise<GatewayHandle> {
  const connectionWorker = new WeakMap<Socket, { worker: number; id: number }>();
  const sockets = new Set<Socket>();

  const server = createServer((req, res) => {
    void handle(req, res);
  });
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    connectionWorker.set(socket, { worker: host.pickWorker(), id: host.allocConnectionId() });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const conn = connectionWorker.get(req.socket) ?? { worker: host.pickWorker(), id: host.allocConnectionId() };
    const startedAt = performance.now();
    let cluster: string | null = null;
    if (onAccess) {
      res.once("close", () => onAccess({
        method: req.method ?? "GET", path: (req.url ?? "/").split("?")[0] ?? "/", status: res.headersSent ? res.statusCode : 0,
        cluster, ms: performance.now() - startedAt,
      }));
    }
    let headers = rawHeaders(req);
    let worker = conn.worker;
    const pinHeader = host.workerHeader;
    if (pinHeader) {
      const pinned = headers.find(([k]) => k === pinHeader);
      headers = headers.filter(([k]) => k !== pinHeader);
      if (pinned) {
        const n = Number(pinned[1]);
        if (!Number.isInteger(n) || n < 0 || n >= host.workerCount) {
          res.writeHead(400, { "content-type": "text/plain" }).end(`${pinHeader} must be a worker index in 0..${host.workerCount - 1}\n`);
          return;
        }
        worker = n;
      }
    }
    let stream: HttpStream;
    try {
      stream = host.createStream(worker, {
        method: req.method ?? "GET",
        path: req.url ?? "/",
        authority: req.headers.host ?? "",
        scheme: "http",
        protocol: `HTTP/${req.httpVersion}`,
        headers,
        body: hasBody(req) ? req : null,
        clientAddress: address(req.socket.remoteAddress, req.socket.remotePort),
        localAddress: address(req.socket.localAddress, req.socket.localPort),
        connectionId: conn.id,
      });
    } catch (err) {
      res.writeHead(503, { "content-type": "text/plain" }).end(`${err instanceof Error ? err.message : String(err)}\n`);
      return;
    }
    const onClose = (): void => { if (!res.writableFinished) stream.abortDownstream(); };
    res.on("close", onClose);
    try {
      const out = await stream.process();
      if (!out.local) cluster = out.cluster;
      if (out.reset) {
        req.socket.destroy();
        return;
      }
      await writeResponse(res, out);
    } catch (err) {
      host.env.log(worker, LogLevel.error, `gateway: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`, "host");
      if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" }).end("dev host error\n");
      else req.socket.destroy();
    } finally {
      res.off("close", onClose);
      stream.complete();
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, bindHost, () => { server.off("error", reject); resolve(); });
  });
  const bound = server.address();
  const boundPort = typeof bound === "object" && bound !== null ? bound.port : port;
  return {
    port: boundPort,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const s of sockets) s.destroy();
    }),
  };
}
