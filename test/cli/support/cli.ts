// Runs the built CLI (build/cli/meshgate.mjs) as a child process. The bundle is rebuilt with
// `node scripts/build.mjs cli` when a source is newer, under a lock: test files run in parallel
// workers and must never read a bundle another worker is rewriting.
import { spawn, execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, rmSync, statSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createHash } from "node:crypto";

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "../../..");
export const cliPath = join(repoRoot, "build/cli/meshgate.mjs");

const SOURCES = ["cli", "shared/src", "kong-plugins/src", "package.json", "scripts/build.mjs"];
const LOCK_DEADLINE_MS = 120_000;
const STALE_LOCK_MS = 120_000;

let ready: Promise<string> | null = null;

/** The path of an up-to-date CLI bundle. */
export function builtCli(): Promise<string> {
  ready ??= ensureBuilt();
  return ready;
}

async function ensureBuilt(): Promise<string> {
  const lock = join(tmpdir(), `meshgate-cli-build-${createHash("sha256").update(repoRoot).digest("hex").slice(0, 12)}.lock`);
  const deadline = Date.now() + LOCK_DEADLINE_MS;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      const age = lockAge(lock);
      if (age !== null && age > STALE_LOCK_MS) rmSync(lock, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`timed out waiting for the CLI build lock ${lock}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  try {
    if (!existsSync(cliPath) || statSync(cliPath).mtimeMs < newestSourceMtime()) {
      execFileSync(process.execPath, [join(repoRoot, "scripts/build.mjs"), "cli"], { cwd: repoRoot, stdio: "pipe" });
    }
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
  return cliPath;
}

/** Null when the lock vanished meanwhile (its holder finished). */
function lockAge(lock: string): number | null {
  try {
    return Date.now() - statSync(lock).mtimeMs;
  } catch {
    return null;
  }
}

function newestSourceMtime(): number {
  let newest = 0;
  const visit = (path: string): void => {
    const stat = statSync(path);
    if (stat.isDirectory()) {
      for (const name of readdirSync(path)) if (name !== "node_modules" && name !== "build") visit(join(path, name));
    } else newest = Math.max(newest, stat.mtimeMs);
  };
  for (const source of SOURCES) if (existsSync(join(repoRoot, source))) visit(join(repoRoot, source));
  return newest;
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

const RUN_TIMEOUT_MS = 20_000;

export async function runCli(args: string[], options: { stdin?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
  const cli = await builtCli();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd: repoRoot, env: { ...process.env, ...options.env } });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => { stdout += chunk; });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => { stderr += chunk; });
    const timer = setTimeout(() => { child.kill("SIGKILL"); reject(new Error(`meshgate ${args.join(" ")} did not finish in ${RUN_TIMEOUT_MS} ms`)); }, RUN_TIMEOUT_MS);
    child.on("error", (error) => { clearTimeout(timer); reject(error); });
    child.on("close", (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
    child.stdin.on("error", () => { /* the CLI may exit before reading all of stdin */ });
    child.stdin.end(options.stdin ?? "");
  });
}

export function fixture(name: string): string {
  return join("test/cli/fixtures", name);
}
