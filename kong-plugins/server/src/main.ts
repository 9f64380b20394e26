// meshgate-pluginserver: Kong's start_cmd and query_cmd for the meshgate plugin (or any kong-pdk plugin module).
// The command line and --dump-all-plugins output of kong-pdk's `kong-js-pluginserver`; the protocol loop is
// meshgate's own (listener.ts, events.ts): no per-call debug serialization, one MessagePack reader and writer,
// replies written straight from the handler's PDK call. See ../README.md.
import { join } from "node:path";
import { parseArgs, USAGE, UsageError, type ServerOptions } from "./cli";
import { listen } from "./listener";
import { ServerLog } from "./log";
import { MsgpackWriter } from "./msgpack";
import { PluginServer } from "./plugin-server";

const DEFAULT_ABANDONED_EVENT_TTL_MS = 60_000;

function abandonedEventTtlMs(): number {
  const raw = process.env["MESHGATE_ABANDONED_EVENT_TTL_MS"];
  const ttl = raw === undefined ? DEFAULT_ABANDONED_EVENT_TTL_MS : Number(raw);
  return Number.isFinite(ttl) && ttl > 0 ? ttl : DEFAULT_ABANDONED_EVENT_TTL_MS;
}

function options(): ServerOptions {
  try {
    const parsed = parseArgs(process.argv.slice(2));
    if (parsed === "version") {
      process.stdout.write(`${VERSION}\n`);
      process.exit(0);
    }
    return parsed;
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`error: ${err.message}\n${USAGE}\n`);
    process.exit(1);
  }
}

declare const MESHGATE_VERSION: string | undefined;
const VERSION = typeof MESHGATE_VERSION === "string" ? MESHGATE_VERSION : "0.0.0";

// A reader of our output that went away (EPIPE) must not kill the process Kong's requests depend on.
process.stdout.on("error", () => undefined);

const opts = options();
const log = new ServerLog(opts.logLevel);
const server = new PluginServer(opts.pluginsDirectory, log, { abandonedEventTtlMs: abandonedEventTtlMs() });
if (opts.dumpPluginInfo !== null) {
  const writer = new MsgpackWriter();
  writer.value(server.getPluginInfo(opts.dumpPluginInfo));
  process.stdout.write(writer.take());
} else if (opts.dumpAllPlugins) {
  process.stdout.write(JSON.stringify(server.pluginNames().map((name) => server.getPluginInfo(name))) + "\n");
} else {
  listen(server, join(opts.kongPrefix, opts.sockName), log);
}
