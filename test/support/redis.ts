// Starts a real redis-server on a free loopback port for a test file. Without the binary the caller
// skips with the reason — except under CI=true, where a missing redis-server is a failure.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";

export interface RedisProcess {
  port: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

export function redisAvailability(): { available: true } | { available: false; reason: string } {
  const probe = spawnSync("redis-server", ["--version"], { encoding: "utf8" });
  if (probe.error || probe.status !== 0) {
    const reason = "redis-server is not installed (apt-get install -y redis-server)";
    if (process.env.CI === "true") throw new Error(`${reason}: required under CI=true`);
    return { available: false, reason };
  }
  return { available: true };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export async function startRedis(port?: number): Promise<RedisProcess> {
  const chosen = port ?? (await freePort());
  const child = spawn("redis-server", ["--port", String(chosen), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "yes"], { stdio: ["ignore", "pipe", "pipe"] });
  await new Promise<void>((resolve, reject) => {
    const deadline = setTimeout(() => reject(new Error(`redis-server did not become ready on port ${chosen} within 10 s`)), 10_000);
    let output = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("Ready to accept connections")) { clearTimeout(deadline); resolve(); }
    });
    child.once("exit", (code) => { clearTimeout(deadline); reject(new Error(`redis-server exited (${code}): ${output.slice(-500)}`)); });
  });
  return {
    port: chosen,
    process: child,
    stop: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once("exit", () => resolve());
      child.kill("SIGKILL");
    }),
  };
}
