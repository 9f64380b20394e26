// Reference auth service process: `node build/dev/auth-service/main.mjs`.
// Env: AUTH_PORT (default 9000), AUTH_HOST (default 127.0.0.1), AUTH_ISSUER, AUTH_AUDIENCE,
// AUTH_ALG (ES256 | RS256, default ES256), AUTH_KEY_GRACE_SECONDS (default 600), AUTH_LOG=1 (one line per
// request, never a token).
import { DEFAULT_KEY_GRACE_SECONDS, MAX_KEY_GRACE_SECONDS } from "./key-ring.js";
import { createAuthService } from "./service.js";
import { DEFAULT_SIGNING_ALGORITHM, SIGNING_ALGORITHMS, type SigningAlgorithm, isSigningAlgorithm } from "./signing-keys.js";

function portFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port > 65535) {
    console.error(`auth-service: ${name} must be a port number from 0 to 65535, got '${raw}'`);
    process.exit(2);
  }
  return port;
}

function algorithmFromEnv(): SigningAlgorithm {
  const raw = process.env.AUTH_ALG;
  if (raw === undefined || raw === "") return DEFAULT_SIGNING_ALGORITHM;
  if (!isSigningAlgorithm(raw)) {
    console.error(`auth-service: AUTH_ALG must be one of ${SIGNING_ALGORITHMS.join(", ")}, got '${raw}'`);
    process.exit(2);
  }
  return raw;
}

function graceFromEnv(): number {
  const raw = process.env.AUTH_KEY_GRACE_SECONDS;
  if (raw === undefined || raw === "") return DEFAULT_KEY_GRACE_SECONDS;
  const seconds = Number(raw);
  if (!/^\d+$/.test(raw) || seconds > MAX_KEY_GRACE_SECONDS) {
    console.error(`auth-service: AUTH_KEY_GRACE_SECONDS must be an integer from 0 to ${MAX_KEY_GRACE_SECONDS}, got '${raw}'`);
    process.exit(2);
  }
  return seconds;
}

async function main(): Promise<void> {
  const port = portFromEnv("AUTH_PORT", 9000);
  const host = process.env.AUTH_HOST || "127.0.0.1";
  const algorithm = algorithmFromEnv();
  const keyGraceSeconds = graceFromEnv();
  const service = await createAuthService({
    issuer: process.env.AUTH_ISSUER || undefined,
    audience: process.env.AUTH_AUDIENCE || undefined,
    algorithm,
    keyGraceSeconds,
    log: process.env.AUTH_LOG === "1" ? (line) => console.log(line) : undefined,
  });
  let stopping = false;
  // Registered before listening: a signal that arrives right after the URL line is printed must not kill
  // the process with the default action.
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) process.exit(1);
    stopping = true;
    service.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(`auth-service: error while stopping on ${signal}: ${String(error)}`);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);

  const listening = await service.listen(port, host).catch((error: unknown) => {
    console.error(`auth-service: cannot listen on ${host}:${port}: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
  console.log(`auth-service listening on ${listening.url}`);
}

main().catch((error: unknown) => {
  console.error(`auth-service: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
