// The real `promtool` (Debian package `prometheus`; .ci/run installs it). Without it the caller skips with the
// reason — except under CI=true, where a missing promtool is a failure (the pattern of redis.ts).
import { spawnSync } from "node:child_process";

export function promtoolAvailability(): { available: true } | { available: false; reason: string } {
  const probe = spawnSync("promtool", ["--version"], { encoding: "utf8" });
  if (probe.error || probe.status !== 0) {
    const reason = "promtool is not installed (apt-get install -y prometheus)";
    if (process.env.CI === "true") throw new Error(`${reason}: required under CI=true`);
    return { available: false, reason };
  }
  return { available: true };
}

export interface PromtoolResult {
  status: number | null;
  output: string;
}

/** Runs promtool with `args` (and `input` on stdin); its stdout and stderr together. */
export function promtool(args: string[], input?: string): PromtoolResult {
  const run = spawnSync("promtool", args, { encoding: "utf8", input, timeout: 60_000 });
  return { status: run.status, output: `${run.stdout ?? ""}${run.stderr ?? ""}` };
}
