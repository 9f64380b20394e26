// One process of the local stack: spawned with Node, ready when it prints "listening on http://…", its
// output forwarded line by line and the last lines kept for the report when it dies.
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { pathToFileURL } from "node:url";
import { stackPaths } from "./paths.js";

export interface ChildExit {
  name: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The last lines it printed (stdout and stderr interleaved as they arrived). */
  lastOutput: string[];
}

export interface ChildSpec {
  /** Short name used in logs and reports, e.g. "auth" or "kong". */
  name: string;
  /** The built entry point (`build/dev/**\/main.mjs`). */
  script: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  /** How long to wait for the "listening on" line. */
  readyTimeoutMs: number;
  /** Every line the process prints, as it arrives. */
  onLine?: (line: string, stream: "stdout" | "stderr") => void;
}

const READY_LINE = /listening on (http:\/\/[^\s]+)/;
const KEPT_LINES = 40;
const STOP_GRACE_MS = 5_000;

export class StackChild {
  readonly name: string;
  /** The URL from the "listening on" line; set once ready. */
  url = "";
  private readonly process: ChildProcess;
  private readonly kept: string[] = [];
  private readonly exitPromise: Promise<ChildExit>;
  private exitInfo: ChildExit | null = null;
  private readyWaiter: ((url: string) => void) | null = null;

  private constructor(spec: ChildSpec) {
    this.name = spec.name;
    // Own process group: a terminal Ctrl-C reaches only the stack, which then stops its children in order.
    // The preload ends the child when this process is gone, however it went (SIGKILL included); NODE_OPTIONS
    // carries it on to the Node processes the child starts (the Kong host's plugin server).
    const preload = `--import=${pathToFileURL(stackPaths().exitWithParent).href}`;
    const env: NodeJS.ProcessEnv = { ...process.env, ...spec.env, MESHGATE_PARENT_PID: String(process.pid) };
    env["NODE_OPTIONS"] = env["NODE_OPTIONS"] ? `${env["NODE_OPTIONS"]} ${preload}` : preload;
    this.process = spawn(process.execPath, [preload, spec.script, ...spec.args], { env, stdio: ["ignore", "pipe", "pipe"], detached: true });
    // A parent that exits without stopping its children (uncaught error, process.exit) must not leave them behind.
    const killOnExit = (): void => this.signal("SIGKILL");
    process.once("exit", killOnExit);
    this.exitPromise = new Promise((resolve) => {
      this.process.once("error", (err) => {
        process.off("exit", killOnExit);
        this.keep(`${this.name}: cannot start: ${err.message}`);
        this.exitInfo = { name: this.name, code: null, signal: null, lastOutput: [...this.kept] };
        resolve(this.exitInfo);
      });
      this.process.once("close", (code, signal) => {
        process.off("exit", killOnExit);
        this.exitInfo ??= { name: this.name, code, signal, lastOutput: [...this.kept] };
        resolve(this.exitInfo);
      });
    });
    for (const stream of ["stdout", "stderr"] as const) {
      const source = this.process[stream];
      if (!source) continue;
      createInterface({ input: source, crlfDelay: Infinity }).on("line", (line) => {
        this.keep(line);
        spec.onLine?.(line, stream);
        const ready = stream === "stdout" && this.readyWaiter ? READY_LINE.exec(line) : null;
        if (ready) this.readyWaiter?.(ready[1]!);
      });
    }
  }

  /** Spawns the process and resolves once it listens; rejects with its last output if it exits or stays silent. */
  static async start(spec: ChildSpec): Promise<StackChild> {
    const child = new StackChild(spec);
    try {
      child.url = await child.waitForReady(spec.readyTimeoutMs);
      return child;
    } catch (err) {
      await child.stop();
      throw err;
    }
  }

  get pid(): number {
    return this.process.pid ?? -1;
  }

  /** Resolves when the process has exited (for any reason). */
  exited(): Promise<ChildExit> {
    return this.exitPromise;
  }

  get running(): boolean {
    return this.exitInfo === null;
  }

  lastOutput(): string[] {
    return [...this.kept];
  }

  /** SIGTERM, then SIGKILL if it has not exited within the grace period. Resolves once it is gone. */
  async stop(graceMs = STOP_GRACE_MS): Promise<ChildExit> {
    if (this.running) {
      this.signal("SIGTERM");
      const timer = setTimeout(() => this.signal("SIGKILL"), graceMs);
      try {
        return await this.exitPromise;
      } finally {
        clearTimeout(timer);
      }
    }
    return this.exitPromise;
  }

  /** Immediately SIGKILL (a second Ctrl-C). */
  kill(): void {
    this.signal("SIGKILL");
  }

  private signal(signal: NodeJS.Signals): void {
    if (!this.running) return;
    try {
      this.process.kill(signal);
    } catch {
      // already gone; the close event follows
    }
  }

  private keep(line: string): void {
    this.kept.push(line);
    if (this.kept.length > KEPT_LINES) this.kept.shift();
  }

  private waitForReady(timeoutMs: number): Promise<string> {
    return new Promise((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        this.readyWaiter = null;
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`${this.name} did not print "listening on" within ${timeoutMs} ms; last output:\n${this.describeOutput()}`));
      }, timeoutMs);
      this.readyWaiter = (url) => {
        done();
        resolve(url);
      };
      void this.exitPromise.then((exit) => {
        done();
        reject(new Error(`${this.name} exited before it was ready (${describeExit(exit)}); last output:\n${this.describeOutput()}`));
      });
    });
  }

  private describeOutput(): string {
    return this.kept.length === 0 ? "  (nothing)" : this.kept.map((l) => `  ${l}`).join("\n");
  }
}

export function describeExit(exit: ChildExit): string {
  if (exit.signal) return `signal ${exit.signal}`;
  if (exit.code === null) return "could not be started";
  return `exit code ${exit.code}`;
}
