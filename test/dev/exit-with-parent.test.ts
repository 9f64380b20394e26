// The stack's preload (dev/stack/exit-with-parent.ts) on its own: a process whose named parent is not its parent
// (it died before the preload ran) stops through its own SIGTERM path; with its parent alive it keeps running;
// the parent's pid is not handed on to the processes it starts. The SIGKILL case end to end: npm-start.test.ts.
import { spawn, spawnSync } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";

const preload = `--import=${pathToFileURL(join(import.meta.dirname, "../../build/dev/stack/exit-with-parent.mjs")).href}`;

function run(script: string, parentPid: string): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string }> {
  const child = spawn(process.execPath, [preload, "-e", script], { env: { ...process.env, MESHGATE_PARENT_PID: parentPid }, stdio: ["ignore", "pipe", "inherit"] });
  let stdout = "";
  child.stdout.on("data", (chunk: Buffer) => { stdout += chunk.toString(); });
  return new Promise((resolve) => child.once("close", (code, signal) => resolve({ code, signal, stdout })));
}

describe("exit-with-parent preload", () => {
  it("stops a process whose parent is already gone, through its own SIGTERM handler", async () => {
    const script = "process.on('SIGTERM', () => { console.log('own shutdown'); process.exit(3); }); setInterval(() => {}, 1000);";
    // pid 1 is never the parent of a test process, so the named parent counts as gone.
    expect(await run(script, "1")).toEqual({ code: 3, signal: null, stdout: "own shutdown\n" });
  }, 30_000);

  it("leaves a process alone while its parent lives, and does not hand the parent's pid on", async () => {
    const script = [
      "const { execFileSync } = require('node:child_process');",
      "const seen = execFileSync(process.execPath, ['-e', 'console.log(process.env.MESHGATE_PARENT_PID ?? \"unset\")'], { encoding: 'utf8' }).trim();",
      // Long enough for several of the preload's checks (every 200 ms); the process ends by itself.
      "setTimeout(() => { console.log('child saw ' + seen); process.exit(0); }, 1000);",
    ].join("\n");
    expect(await run(script, String(process.pid))).toEqual({ code: 0, signal: null, stdout: "child saw unset\n" });
  }, 30_000);

  it("does not keep an idle process alive", () => {
    const result = spawnSync(process.execPath, [preload, "-e", "console.log('done')"], { env: { ...process.env, MESHGATE_PARENT_PID: String(process.pid) }, encoding: "utf8", timeout: 20_000 });
    expect({ status: result.status, stdout: result.stdout }).toEqual({ status: 0, stdout: "done\n" });
  });
});
