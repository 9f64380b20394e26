// HTTP load generator for the Kong benchmark, run as its own process. Reads {url, headers[], seconds,
// concurrency} as JSON on stdin; keeps `concurrency` requests in flight on keep-alive connections, cycling
// through the header sets; prints {requests, seconds, statuses} as JSON.
import { Pool } from "undici";

let input = "";
for await (const chunk of process.stdin) input += chunk;
const { url, headers, seconds, concurrency } = JSON.parse(input);
const target = new URL(url);
const pool = new Pool(target.origin, { connections: concurrency, pipelining: 1 });
const statuses = {};
let requests = 0;
const started = performance.now();
const until = started + seconds * 1000;

async function worker(offset) {
  for (let i = offset; performance.now() < until; i += concurrency) {
    const response = await pool.request({ method: "GET", path: target.pathname, headers: headers[i % headers.length] });
    await response.body.dump();
    statuses[response.statusCode] = (statuses[response.statusCode] ?? 0) + 1;
    requests += 1;
  }
}

await Promise.all(Array.from({ length: concurrency }, (_, i) => worker(i)));
const elapsed = (performance.now() - started) / 1000;
await pool.close();
process.stdout.write(JSON.stringify({ requests, seconds: elapsed, statuses }));
