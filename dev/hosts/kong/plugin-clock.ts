// Kong's clock as a test moves it, not time. The plugin server reads it from a file on every call
// (plugin-clock-preload.cjs, preloaded with NODE_OPTIONS), and `advance` replaces the file atomically, so the
// next request the host sends sees the new time: cache lifetimes and breaker cool-downs pass without waiting.
// The host's own timers on Kong's clock (the plugin server's respawn throttle) fire as it passes them.
import { mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ManualClock } from "../envoy/clock.js";
import { repoRoot } from "./repo-paths.js";

export class PluginServerClock extends ManualClock {
  private readonly dir = mkdtempSync(join(tmpdir(), "mg-clock-"));
  private readonly file = join(this.dir, "now");

  /** Starts at the system time, so expiry times other services hand out (token `exp`) still make sense. */
  constructor(startMs = Date.now()) {
    super(startMs);
    this.write();
  }

  override advance(ms: number): void {
    super.advance(ms);
    this.write();
  }

  /** The plugin server's environment that installs this clock, added to `base` (its NODE_OPTIONS kept). */
  serverEnv(base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
    const preload = `--require ${JSON.stringify(join(repoRoot(), "dev/hosts/kong/plugin-clock-preload.cjs"))}`;
    return { ...base, NODE_OPTIONS: [base.NODE_OPTIONS, preload].filter(Boolean).join(" "), MESHGATE_DEV_CLOCK_FILE: this.file };
  }

  /** Removes the clock's file, once no plugin server reads it any more. */
  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  private write(): void {
    const next = `${this.file}.next`;
    writeFileSync(next, String(this.nowMs()));
    renameSync(next, this.file);
  }
}
