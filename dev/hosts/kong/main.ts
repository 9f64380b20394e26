// The Kong-plane gateway process: `node build/dev/hosts/kong/main.mjs --plugins-dir <dir> --service-url <url>`.
import { CliError, parseCliOptions } from "./cli-options.js";
import { KongHost, type AccessLogEntry } from "./gateway.js";

async function main(): Promise<void> {
  const options = parseCliOptions(process.argv.slice(2), process.env);
  const host = await KongHost.start(options.host);
  const onAccess = options.accessLog
    ? (e: AccessLogEntry): void => { process.stdout.write(`access ${e.method} ${e.path} ${e.status} ${e.upstream ?? "-"} ${e.ms.toFixed(1)}ms\n`); }
    : undefined;
  // A port that cannot be bound must not leave the plugin server and its temp prefix behind.
  const listening = await host.listen(options.port, options.bind, onAccess).catch(async (err: unknown) => {
    await host.close();
    throw err;
  });
  process.stdout.write(`kong-host plugin ${host.pluginInfo.Name} ${host.pluginInfo.Version}, plugin server pid ${host.serverPid()}\n`);
  process.stdout.write(`kong-host listening on http://${options.bind}:${listening.port}\n`);
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    void host.close().then(() => process.exit(0));
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`kong-host: ${err instanceof CliError ? err.message : err instanceof Error ? err.message : String(err)}\n`);
  process.exit(2);
});
