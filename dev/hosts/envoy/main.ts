// Entry point of the Envoy-plane dev host: `node build/dev/hosts/envoy/main.mjs --help`.

import { parseCli } from "./cli-options.js";
import type { AccessLogEntry } from "./gateway.js";
import { EnvoyHost } from "./host.js";

async function main(): Promise<void> {
  let cli;
  try {
    cli = parseCli(process.argv.slice(2), process.env);
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  }
  const host = await EnvoyHost.start({
    ...cli.host,
    onLog: (e) => {
      const who = e.worker < 0 ? "canary" : `worker ${e.worker}`;
      process.stderr.write(`[envoy-host] [${who}] [${e.level}] ${e.source === "wasm" ? "wasm log: " : ""}${e.message}\n`);
    },
  });
  const onAccess = cli.accessLog
    ? (e: AccessLogEntry): void => { process.stdout.write(`access ${e.method} ${e.path} ${e.status} ${e.cluster ?? "-"} ${e.ms.toFixed(1)}ms\n`); }
    : undefined;
  // Before the `listening on` line: whoever waits for that one finds the admin address already printed.
  if (cli.adminPort !== undefined) {
    const admin = await host.listenAdmin(cli.adminPort, cli.bind);
    process.stdout.write(`envoy-host admin on http://${cli.bind}:${admin.port}/stats/prometheus\n`);
  }
  const listener = await host.listen(cli.port, cli.bind, onAccess);
  process.stdout.write(`envoy-host listening on http://${cli.bind}:${listener.port}\n`);
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    void host.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`envoy-host: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
