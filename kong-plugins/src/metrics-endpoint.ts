// Serves the plugin server's metrics as Prometheus text on GET /metrics, only when MESHGATE_METRICS_PORT is
// set, on MESHGATE_METRICS_HOST (default 127.0.0.1). Started by the first policy instance, never at module
// load: Kong's query command loads the plugin too and must exit after printing the schema.
import { createServer, type Server } from "node:http";
import { collectDefaultMetrics, type Registry } from "prom-client";

let started: Server | null = null;

export function startMetricsEndpoint(registry: Registry, env: NodeJS.ProcessEnv, log: (line: string) => void): void {
  if (started || env.MESHGATE_METRICS_PORT === undefined || env.MESHGATE_METRICS_PORT === "") return;
  const port = Number(env.MESHGATE_METRICS_PORT);
  const host = env.MESHGATE_METRICS_HOST || "127.0.0.1";
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    log(`meshgate: MESHGATE_METRICS_PORT must be an integer 1..65535, got "${env.MESHGATE_METRICS_PORT}"; metrics are off`);
    return;
  }
  collectDefaultMetrics({ register: registry, prefix: "meshgate_pluginserver_" });
  const server = createServer((req, res) => {
    if (req.method !== "GET" || (req.url ?? "").split("?")[0] !== "/metrics") {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { "content-type": registry.contentType }).end(text),
      (error: unknown) => res.writeHead(500, { "content-type": "text/plain" }).end(`metrics failed: ${String(error)}\n`),
    );
  });
  server.on("error", (error: Error) => log(`meshgate: metrics endpoint ${host}:${port} unavailable: ${error.message}`));
  server.listen(port, host, () => log(`meshgate: metrics on http://${host}:${port}/metrics`));
  server.unref(); // never what keeps the plugin server alive
  started = server;
}
