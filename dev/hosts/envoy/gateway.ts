// The HTTP front of the Envoy-plane dev host: HTTP/1.1 read as bytes under Envoy's codec rules
// (envoy-wire-rules.ts), each connection assigned to a worker VM (Envoy balances connections, not requests);
// runs the stream and writes the response back; a reset stream destroys the connection.

import type { Exchange } from "../http1/server.js";
import { listenHttp1 } from "../http1/server.js";
import type { BytePair, Http1Request, Http1Response } from "../http1/types.js";
import { LogLevel } from "./abi.js";
import { EnvoyWireRules } from "./envoy-wire-rules.js";
import type { EnvoyHost } from "./host.js";
import type { HttpStream } from "./http-stream.js";

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

function address(ip: string, port: number): string {
  return `${ip.includes(":") ? `[${ip}]` : ip}:${port}`;
}

function plainReply(status: number, text: string): Http1Response {
  return { status, headers: [["content-type", "text/plain"]], body: Buffer.from(text) };
}

export async function listenGateway(host: EnvoyHost, port: number, bindHost: string,
  onAccess?: (entry: AccessLogEntry) => void): Promise<GatewayHandle> {
  // Envoy balances connections: every request on one connection runs on the same worker.
  const connectionWorker = new WeakMap<object, { worker: number; id: number }>();

  async function handle(req: Http1Request, exchange: Exchange): Promise<Http1Response | null> {
    let conn = connectionWorker.get(req.connection);
    if (!conn) {
      conn = { worker: host.pickWorker(), id: host.allocConnectionId() };
      connectionWorker.set(req.connection, conn);
    }
    const startedAt = performance.now();
    const { head } = req;
    let cluster: string | null = null;
    let status = 0;
    exchange.onClose((completed) => {
      onAccess?.({ method: head.method, path: head.target.split("?")[0] ?? "/", status: completed ? status : 0, cluster, ms: performance.now() - startedAt });
    });
    let headers: BytePair[] = head.headers;
    let worker = conn.worker;
    const pinHeader = host.workerHeader;
    if (pinHeader) {
      const pinned = headers.find(([k]) => k === pinHeader);
      headers = headers.filter(([k]) => k !== pinHeader);
      if (pinned) {
        const n = Number(pinned[1]);
        if (!Number.isInteger(n) || n < 0 || n >= host.workerCount) {
          status = 400;
          return plainReply(400, `${pinHeader} must be a worker index in 0..${host.workerCount - 1}\n`);
        }
        worker = n;
      }
    }
    let stream: HttpStream;
    try {
      stream = host.createStream(worker, {
        method: head.method,
        path: head.target,
        authority: headers.find(([k]) => k === "host")?.[1] ?? "",
        scheme: "http",
        protocol: `HTTP/1.${head.minorVersion}`,
        headers: headers.filter(([k]) => k !== "host"),
        body: req.body,
        clientAddress: address(req.remoteAddress, req.remotePort),
        localAddress: address(req.localAddress, req.localPort),
        connectionId: conn.id,
      });
    } catch (err) {
      status = 503;
      return plainReply(503, `${err instanceof Error ? err.message : String(err)}\n`);
    }
    exchange.onClose((completed) => {
      if (!completed) stream.abortDownstream();
      stream.complete();
    });
    try {
      const out = await stream.process();
      if (!out.local) cluster = out.cluster;
      if (out.reset) return null;
      status = out.status;
      const pairs: BytePair[] = [];
      for (const [k, v] of out.headers.pairs()) if (!k.startsWith(":")) pairs.push([k, v]);
      return { status: out.status, headers: pairs, body: out.body };
    } catch (err) {
      host.env.log(worker, LogLevel.error, `gateway: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`, "host");
      status = 500;
      return plainReply(500, "dev host error\n");
    }
  }

  const front = await listenHttp1({
    rules: new EnvoyWireRules(host.wireOptions),
    handler: handle,
    keepAliveTimeoutMs: 60_000,
    addDate: true,
  }, port, bindHost);
  return { port: front.port, close: () => front.close() };
}
