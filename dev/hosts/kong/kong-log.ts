// Kong's error log, in memory: plugin `kong.log.*` lines, Kong's own lines about the bridge, and the plugin
// server's stdout/stderr (Kong logs them at INFO with a `[name:pid]` prefix: kong/runloop/plugin_servers/
// process.lua, grab_logs). Like nginx's `error_log … ${{LOG_LEVEL}}` (kong/templates/nginx_kong.lua), lines
// below the configured level are dropped; Kong's default `log_level` is `notice` (kong.conf.default), so
// `info` and `debug` — the plugin server's whole output included — never reach the file. Bounded, so a long
// benchmark cannot grow it without limit.

/** nginx's error-log levels, most severe first (kong.log.err is nginx's `error`). */
export const KONG_LOG_LEVELS = ["emerg", "alert", "crit", "err", "warn", "notice", "info", "debug"] as const;
export type KongLogLevelName = (typeof KONG_LOG_LEVELS)[number];
export const DEFAULT_KONG_LOG_LEVEL: KongLogLevelName = "notice";

export function isKongLogLevel(value: string): value is KongLogLevelName {
  return (KONG_LOG_LEVELS as readonly string[]).includes(value);
}

function severity(level: string): number {
  const index = (KONG_LOG_LEVELS as readonly string[]).indexOf(level === "error" ? "err" : level);
  return index < 0 ? KONG_LOG_LEVELS.length : index;
}

export interface KongLogEntry {
  level: string;
  message: string;
  /** `plugin`: kong.log.* from the plugin; `kong`: the gateway itself; `server`: plugin server output. */
  source: "plugin" | "kong" | "server";
  /** Date.now() when logged. */
  time: number;
}

export class KongLog {
  private readonly entries: KongLogEntry[] = [];
  private readonly listeners = new Set<(entry: KongLogEntry) => void>();

  private readonly threshold: number;

  constructor(private readonly maxEntries = 10_000, private readonly echo = false, readonly level: KongLogLevelName = DEFAULT_KONG_LOG_LEVEL) {
    this.threshold = severity(level);
  }

  /** Whether a line at `level` would be written (kong.log.* returns early otherwise: kong/pdk/log.lua). */
  enabled(level: string): boolean {
    return severity(level) <= this.threshold;
  }

  add(fields: Omit<KongLogEntry, "time">): void {
    if (!this.enabled(fields.level)) return;
    const entry: KongLogEntry = { ...fields, time: Date.now() };
    if (this.entries.length >= this.maxEntries) this.entries.shift();
    this.entries.push(entry);
    if (this.echo) process.stderr.write(`[kong-host] [${entry.level}] ${entry.source === "plugin" ? "[plugin] " : ""}${entry.message}\n`);
    for (const listener of this.listeners) listener(entry);
  }

  all(): KongLogEntry[] {
    return [...this.entries];
  }

  /** Resolves with the first entry (already logged or future) that matches. */
  waitFor(match: (entry: KongLogEntry) => boolean, timeoutMs = 10_000): Promise<KongLogEntry> {
    const found = this.entries.find(match);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const listener = (entry: KongLogEntry): void => {
        if (!match(entry)) return;
        clearTimeout(timer);
        this.listeners.delete(listener);
        resolve(entry);
      };
      const timer = setTimeout(() => {
        this.listeners.delete(listener);
        reject(new Error(`no matching log entry within ${timeoutMs} ms`));
      }, timeoutMs);
      this.listeners.add(listener);
    });
  }
}
