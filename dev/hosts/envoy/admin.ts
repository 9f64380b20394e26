// The admin-style listener of the Envoy dev host: GET /stats/prometheus, as Envoy's admin interface serves it
// (Istio: the sidecar's admin port 15000, and the merged scrape endpoint :15090/stats/prometheus). Read-only;
// plain node:http, because it is the proxy's own interface, not the data path whose wire rules the host mimics.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface AdminHandle {
  port: number;
  close(): Promise<void>;
}

export function listenAdmin(prometheusText: () => string, port: number, bindHost: string): Promise<AdminHandle> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET" || path !== "/stats/prometheus") {
      res.writeHead(404, { "content-type": "text/plain" }).end("only GET /stats/prometheus here\n");
      return;
    }
    res.writeHead(200, { "content-type": "text/plain; version=0.0.4" }).end(prometheusText());
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, bindHost, () => {
      server.off("error", reject);
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () => new Promise<void>((done) => {
          server.closeAllConnections();
          server.close(() => done());
        }),
      });
    });
  });
}
