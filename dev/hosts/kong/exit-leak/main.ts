// `node build/dev/hosts/kong/exit-leak/main.mjs [requests]`: RSS growth of the plugin server over N rejected
// requests, plain kong-js-pluginserver vs meshgate's start command. Exit code 1 if the wrapped one grows >= 5 MB.
import { formatMb, runExitLeakBench } from "../bench-exit-leak.js";

const requests = Number(process.argv[2] ?? process.env["EXIT_LEAK_REQUESTS"] ?? 100_000);
if (!Number.isInteger(requests) || requests <= 0) {
  process.stderr.write(`exit-leak: requests must be a positive integer, got '${process.argv[2] ?? ""}'\n`);
  process.exit(2);
}
const LIMIT_BYTES = 5 * 1024 * 1024;

const { plain, wrapped } = await runExitLeakBench({ requests, warmup: Number(process.env["EXIT_LEAK_WARMUP"] ?? 20_000), concurrency: 32 });
for (const m of [plain, wrapped]) {
  const perRequest = (m.rssGrowthBytes / m.requests).toFixed(0);
  process.stdout.write(
    `  ${m.variant}: RSS ${formatMb(m.rssGrowthBytes)} (${perRequest} B/request), heap ${formatMb(m.heapGrowthBytes)}, ${(m.requests / m.seconds).toFixed(0)} req/s\n`,
  );
}
process.stdout.write(`exit-leak: plain ${formatMb(plain.rssGrowthBytes)}, wrapped ${formatMb(wrapped.rssGrowthBytes)} over ${requests} rejected requests\n`);
const ok = wrapped.rssGrowthBytes < LIMIT_BYTES;
process.stdout.write(`exit-leak: wrapped growth ${ok ? "<" : ">="} 5 MB: ${ok ? "PASS" : "FAIL"}\n`);
process.exit(ok ? 0 : 1);
