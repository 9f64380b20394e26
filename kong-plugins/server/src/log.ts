// The plugin server's own lines, on stdout like kong-pdk's logger: Kong reads the plugin server's output and writes
// each line to its error log at INFO as `[<name>:<pid>] …` (kong/runloop/plugin_servers/process.lua). Plain text,
// one line per call. A line written while --dump-all-plugins runs makes Kong's JSON parse of the dump fail, as
// kong-pdk's does: Kong then refuses to start with the plugin, instead of starting without it.

export type LogLevel = "debug" | "info" | "warn" | "error";

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export class ServerLog {
  private readonly threshold: number;

  constructor(level: LogLevel, private readonly write: (line: string) => void = (line) => { process.stdout.write(line); }) {
    this.threshold = RANK[level];
  }

  debug(message: string): void { this.emit("debug", message); }
  info(message: string): void { this.emit("info", message); }
  warn(message: string): void { this.emit("warn", message); }
  error(message: string): void { this.emit("error", message); }

  private emit(level: LogLevel, message: string): void {
    if (RANK[level] < this.threshold) return;
    this.write(`${new Date().toISOString()} [${level.toUpperCase()}] ${message}\n`);
  }
}
