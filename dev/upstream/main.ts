// Echo upstream process: `node build/dev/upstream/main.mjs --variant stable|canary --port N [--host H]`.
// Env: UPSTREAM_VARIANT, UPSTREAM_PORT, UPSTREAM_HOST (flags win), UPSTREAM_LOG=1 (one line per request).
import { parseUpstreamArgs } from "./args.js";
import { type ListeningUpstream, createEchoUpstream } from "./echo-upstream.js";

async function main(): Promise<void> {
  const parsed = parseUpstreamArgs(process.argv.slice(2), process.env);
  if (!parsed.ok) {
    console.error(`upstream: ${parsed.error}`);
    console.error("usage: main.mjs --variant stable|canary --port N [--host 127.0.0.1]");
    process.exit(2);
  }
  const { variant, port, host } = parsed.value;
  const upstream = createEchoUpstream(variant, { log: process.env.UPSTREAM_LOG === "1" ? (line) => console.log(line) : undefined });
  let listening: ListeningUpstream | null = null;
  let stopping = false;
  // Registered before listening: a signal that arrives right after the URL line is printed must not kill
  // the process with the default action.
  const stop = (): void => {
    if (stopping) process.exit(1);
    stopping = true;
    (listening?.close() ?? Promise.resolve()).then(() => process.exit(0), () => process.exit(1));
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);

  listening = await upstream.listen(port, host).catch((error: unknown) => {
    console.error(`upstream ${variant}: cannot listen on ${host}:${port}: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
  console.log(`upstream ${variant} listening on ${listening.url}`);
}

main().catch((error: unknown) => {
  console.error(`upstream: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
