// Kong's error log, in memory: plugin `kong.log.*` lines, Kong's own lines about the bridge, and the plugin
// server's stdout/stderr (Kong logs them at INFO with a `[name:pid]` prefix). Bounded, so a long benchmark
// cannot grow it without limit.

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

  constructor(private readonly maxEntries = 10_000, private readonly echo = false) {}

  add(fields: Omit<KongLogEntry, "time">): void {
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
