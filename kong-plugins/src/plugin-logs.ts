// Where the plugin's own lines go on Kong (kong-plugins/README.md, "Logs").
//
// Decision logs go to the plugin server's stdout. Kong reads that stream in a timer and writes each line to its
// error log at INFO as `[meshgate:<pid>] …` (kong/runloop/plugin_servers/process.lua, grab_logs). A timer has no
// request, so nginx appends no request line, Host or Referer to it — unlike kong.log.* from the access phase,
// whose lines end with `request: "GET /path?query HTTP/1.1"`, token-carrying query included. It also costs no
// PDK round trip.
//
// Operational lines (auth-service breaker transitions, Redis outage and recovery, bad settings, the metrics
// endpoint) must be seen at Kong's default log_level, notice, which drops INFO and so the whole plugin-server
// output. They are queued and written with kong.log.* by the next access phase, before it answers; their text
// names no token, subject or path (nginx still appends that request's context, as it does to Kong's own lines).
import type { KongPdk } from "./pdk";

// A reader that went away (EPIPE) would otherwise be an unhandled 'error' that kills the plugin server, and Kong
// proxies without meshgate until it respawns it: losing log lines is the lesser harm.
process.stdout.on("error", () => undefined);

export function writeDecisionLog(line: string): void {
  process.stdout.write(line + "\n");
}

export type OperationalLevel = "err" | "warn" | "notice";

interface PendingLine {
  level: OperationalLevel;
  line: string;
}

/** More than this many unwritten lines means no request has come for a while; older ones are counted, not kept. */
const MAX_PENDING = 64;

export class OperationalLog {
  private pending: PendingLine[] = [];
  private dropped = 0;

  add(level: OperationalLevel, line: string): void {
    if (this.pending.length >= MAX_PENDING) {
      this.pending.shift();
      this.dropped += 1;
    }
    this.pending.push({ level, line });
  }

  get hasPending(): boolean {
    return this.pending.length > 0;
  }

  /** Writes every queued line through kong.log (one round trip each). Call only before kong.response.exit. */
  async flush(kong: KongPdk): Promise<void> {
    const lines = this.pending;
    const dropped = this.dropped;
    this.pending = [];
    this.dropped = 0;
    if (dropped > 0) await kong.log.warn(`meshgate: ${dropped} older operational log lines were dropped`);
    for (const { level, line } of lines) {
      if (level === "err") await kong.log.err(line);
      else if (level === "warn") await kong.log.warn(line);
      else await kong.log.notice(line);
    }
  }
}

/** One queue for the plugin server: every Kong worker's requests drain it. */
export const operationalLog = new OperationalLog();

export const warnLog = (line: string): void => operationalLog.add("warn", line);
export const noticeLog = (line: string): void => operationalLog.add("notice", line);

/** Flushes only when something is queued, so the usual request pays nothing. */
export function flushOperationalLog(kong: KongPdk): Promise<void> | undefined {
  return operationalLog.hasPending ? operationalLog.flush(kong) : undefined;
}
