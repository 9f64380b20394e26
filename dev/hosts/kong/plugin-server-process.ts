// Runs the plugin server the way Kong's `process.lua` does: spawn the start command with its own prefix and
// socket name, log its output with a `[name:pid]` prefix, respawn it when it dies (at most once per second of
// Kong's clock, like process.lua's `ngx.now() < next_spawn` → `ngx.sleep`), SIGTERM on stop. Like Kong,
// request handling never waits for a respawned server; `ready()` exists for tests.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, rmSync, watch, type FSWatcher } from "node:fs";
import { basename, dirname } from "node:path";
import { connect } from "node:net";
import { createInterface } from "node:readline";
import { SYSTEM_CLOCK, type HostClock } from "../envoy/clock.js";

export interface PluginServerProcessOptions {
  /** Executable and leading args; `--plugins-directory/--kong-prefix/--sock-name` are appended. */
  startCmd: string[];
  pluginsDir: string;
  prefix: string;
  sockName: string;
  /** Label used in log lines, like Kong's pluginserver name. */
  name: string;
  env?: NodeJS.ProcessEnv;
  onLog(level: "info" | "notice" | "err", message: string): void;
  /** How long `ready()` waits for the socket file. */
  readyTimeoutMs?: number;
  /** Kong's clock (`ngx.now`/`ngx.sleep`) for the respawn throttle; default: the system clock. */
  clock?: HostClock;
}

const RESPAWN_INTERVAL_MS = 1000;

export class PluginServerProcess {
  readonly socketPath: string;
  restarts = 0;
  private child: ChildProcess | null = null;
  private lastSpawnAt = 0;
  private stopping = false;
  private cancelRespawn: (() => void) | null = null;
  private readyPromise: Promise<void> = Promise.resolve();
  private generation = 0;
  private readonly clock: HostClock;
  private readonly exitWaiters = new Set<() => void>();
  private respawnWaiter: ((next: Promise<void>) => void) | null = null;

  constructor(private readonly options: PluginServerProcessOptions) {
    this.clock = options.clock ?? SYSTEM_CLOCK;
    this.socketPath = `${options.prefix}/${options.sockName}`;
    // sun_path holds 108 bytes including the terminating NUL.
    if (Buffer.byteLength(this.socketPath) > 107) throw new Error(`socket path too long for a unix socket (max 107 bytes): ${this.socketPath}`);
  }

  /** Spawns the first server and waits for its socket. */
  async start(): Promise<void> {
    this.spawnServer();
    await this.ready();
  }

  /** Resolves when the current server's socket file exists; rejects if it exits or the deadline passes. */
  ready(): Promise<void> {
    return this.readyPromise;
  }

  pid(): number {
    return this.child?.pid ?? -1;
  }

  /** Signals the current server process (tests use it to simulate a crash). */
  kill(signal: NodeJS.Signals = "SIGKILL"): void {
    this.child?.kill(signal);
  }

  /** Resolves after the current process has exited (the respawn is scheduled by then). */
  exited(): Promise<void> {
    if (!this.child || this.child.exitCode !== null || this.child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => this.exitWaiters.add(resolve));
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.cancelRespawn?.();
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = this.exited();
    child.kill("SIGTERM");
    const forceKill = setTimeout(() => child.kill("SIGKILL"), 3000);
    await gone;
    clearTimeout(forceKill);
  }

  private spawnServer(): void {
    const { startCmd, pluginsDir, prefix, sockName, name, onLog } = this.options;
    const [command, ...leading] = startCmd;
    if (!command) throw new Error("startCmd is empty");
    this.generation += 1;
    this.lastSpawnAt = this.clock.nowMs();
    // A server killed with SIGKILL leaves its socket file behind; the listener would unlink it too, but removing
    // it first means "the file exists" reliably means "the new server listens".
    rmSync(this.socketPath, { force: true });
    onLog("notice", `[pluginserver] starting pluginserver process for ${name}`);
    const child = spawn(command, [...leading, "--plugins-directory", pluginsDir, "--kong-prefix", prefix, "--sock-name", sockName], {
      stdio: ["ignore", "pipe", "pipe"],
      env: this.options.env ?? process.env,
    });
    this.child = child;
    const label = `[${name}:${child.pid ?? "?"}] `;
    for (const stream of [child.stdout, child.stderr]) {
      if (!stream) continue;
      const lines = new RedrawnLineCollapser((line) => onLog("info", label + line));
      createInterface({ input: stream }).on("line", (line) => lines.push(line)).on("close", () => lines.flush());
    }
    const generation = this.generation;
    const waiting = this.waitForSocket(child, generation);
    waiting.catch(() => undefined);
    const respawnWaiter = this.respawnWaiter;
    this.respawnWaiter = null;
    respawnWaiter?.(waiting);
    this.readyPromise = waiting;
    child.on("error", (err) => onLog("err", `[pluginserver] could not start ${command}: ${err.message}`));
    child.on("exit", (code, signal) => {
      onLog("notice", `external pluginserver '${name}' terminated: ${signal ?? "exit"} ${code ?? ""}`.trimEnd());
      for (const resolve of this.exitWaiters) resolve();
      this.exitWaiters.clear();
      if (this.stopping) return;
      // Until the respawn happens, ready() means "the next server listens".
      this.readyPromise = new Promise<void>((resolve, reject) => {
        this.respawnWaiter = (next) => next.then(resolve, reject);
      });
      this.readyPromise.catch(() => undefined);
      const respawn = (): void => {
        this.cancelRespawn = null;
        if (this.stopping) return;
        this.restarts += 1;
        this.spawnServer();
      };
      const wait = this.lastSpawnAt + RESPAWN_INTERVAL_MS - this.clock.nowMs();
      if (wait > 0) this.cancelRespawn = this.clock.schedule(wait, respawn);
      else {
        const timer = setImmediate(respawn);
        this.cancelRespawn = () => clearImmediate(timer);
      }
    });
  }

  private waitForSocket(child: ChildProcess, generation: number): Promise<void> {
    const timeoutMs = this.options.readyTimeoutMs ?? 15_000;
    return new Promise((resolve, reject) => {
      let watcher: FSWatcher | null = null;
      const finish = (err?: Error): void => {
        clearTimeout(timer);
        watcher?.close();
        child.off("exit", onExit);
        if (err) reject(err);
        else resolve();
      };
      let probing = false;
      const check = (): void => {
        if (probing || !existsSync(this.socketPath) || this.generation !== generation || child.exitCode !== null) return;
        probing = true;
        // bind() creates the file a moment before listen(): connect until it is accepted.
        const probe = (): void => {
          const socket = connect(this.socketPath);
          socket.once("connect", () => {
            socket.destroy();
            finish();
          });
          socket.once("error", () => {
            socket.destroy();
            if (child.exitCode === null && this.generation === generation) setTimeout(probe, 5).unref();
          });
        };
        probe();
      };
      const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
        finish(new Error(`plugin server exited before its socket appeared (code ${code ?? "-"}, signal ${signal ?? "-"})`));
      };
      const timer = setTimeout(
        () => finish(new Error(`plugin server socket ${this.socketPath} did not appear within ${timeoutMs} ms`)),
        timeoutMs,
      );
      child.on("exit", onExit);
      watcher = watch(dirname(this.socketPath), (_event, file) => {
        if (file === null || file === basename(this.socketPath)) check();
      });
      check();
    });
  }
}

// kong-pdk's logger (node-color-log) redraws a line several times with cursor-up/clear escapes, so one log
// call arrives as several growing lines. Keep only the last, complete version, without the escapes.
class RedrawnLineCollapser {
  private pending: string | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly emit: (line: string) => void) {}

  push(raw: string): void {
    // eslint-disable-next-line no-control-regex
    const line = raw.replace(/\x1b\[[0-9;]*[A-Za-z]/g, "").trim();
    if (line === "") return;
    // A plain line (no escapes) is never a redraw: identical decision lines in a row are each a line of their own.
    if (!raw.includes("\x1b[")) {
      this.flush();
      this.emit(line);
      return;
    }
    if (this.pending !== null && !line.startsWith(this.pending)) this.emit(this.pending);
    this.pending = line;
    // The redraws of one line arrive in separate writes; a short quiet period marks the line as complete.
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.flush(), 20);
    this.timer.unref();
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.pending !== null) this.emit(this.pending);
    this.pending = null;
  }
}
