// The bounds benchmark's backends, in their own process (the other core): a stand-in auth service that answers
// RFC 7662 `active: true` for ANY token (no signing, no key: the reference auth service signs ES256 JWTs, far too
// slow to issue a million), and an upstream that answers 204. Prints `{"auth":port,"upstream":port}` once both
// listen; counts introspection calls for GET /stats on the auth port.
import { createServer } from "node:http";

let calls = 0;
const expSeconds = () => Math.floor(Date.now() / 1000) + 3600;

const auth = createServer((req, res) => {
  if (req.method === "GET" && req.url === "/stats") {
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ introspect: calls }));
    return;
  }
  req.resume();
  req.on("end", () => {
    calls += 1;
    res.writeHead(200, { "content-type": "application/json" })
      .end(`{"active":true,"sub":"bench-subject","exp":${expSeconds()}}`);
  });
});
const upstream = createServer((req, res) => {
  req.resume();
  req.on("end", () => res.writeHead(204).end());
});
for (const server of [auth, upstream]) server.keepAliveTimeout = 60_000;

await Promise.all([auth, upstream].map((server) => new Promise((resolve) => server.listen(0, "127.0.0.1", resolve))));
process.stdout.write(JSON.stringify({ auth: auth.address().port, upstream: upstream.address().port }) + "\n");
process.on("SIGTERM", () => process.exit(0));
