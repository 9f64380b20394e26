// One ioredis connection per Redis (address, credentials, database, timeout), shared by every policy that
// names it, so dropping a policy's runtime never closes a connection another instance still uses. It logs
// an outage once per interval (MESHGATE_REDIS_LOG_INTERVAL_MS, default 60 s) and once when Redis is back.
import { Redis } from "ioredis";
import type { GcraParams } from "../../shared/src/gcra";
import type { RedisSettings } from "../../shared/src/policy";
import { nowMs } from "./clock";
import { GCRA_SCRIPT } from "./gcra-script";

/** `{allowed 0|1, tat µs, remaining, reset µs, retryAfter µs}` as the script returns it. */
/** Five values per window, in the order of the windows (gcra-script.ts). */
export type GcraReply = number[];
type RedisWithGcra = Redis & {
  meshgateGcra(key: string, emissionUs: string, toleranceUs: string, nowUs: string, ...moreWindows: string[]): Promise<GcraReply>;
};

const DEFAULT_LOG_INTERVAL_MS = 60_000;

export class SharedRedis {
  private readonly redis: RedisWithGcra;
  private readonly firstReady: Promise<void>;
  private everReady = false;
  private down = false;
  private lastLoggedMs = Number.NEGATIVE_INFINITY;
  private readonly address: string;

  constructor(private readonly settings: RedisSettings, private readonly log: (line: string) => void,
    private readonly logIntervalMs: number) {
    this.address = `${settings.host}:${settings.port}/${settings.database}`;
    this.redis = new Redis({
      host: settings.host, port: settings.port, db: settings.database,
      username: settings.username || undefined, password: settings.password || undefined,
      connectTimeout: Math.max(settings.timeoutMs, 200), commandTimeout: settings.timeoutMs,
      // Fail fast while Redis is away (the caller falls back); reconnect in the background.
      enableOfflineQueue: false, maxRetriesPerRequest: 0, lazyConnect: false,
      retryStrategy: (attempt: number) => Math.min(attempt * 100, 2_000),
    }) as RedisWithGcra;
    this.redis.defineCommand("meshgateGcra", { numberOfKeys: 1, lua: GCRA_SCRIPT });
    this.redis.on("error", (error: Error) => this.noteFailure(error));
    this.firstReady = new Promise((resolve) => this.redis.once("ready", () => resolve()));
  }

  /** Runs the GCRA script over every window on the Redis server's clock; rejects on any Redis failure. */
  async gcra(key: string, windows: readonly GcraParams[]): Promise<GcraReply> {
    if (!this.everReady) await this.untilFirstReady();
    try {
      const more: string[] = [];
      for (const w of windows.slice(1)) more.push(String(w.emissionUs), String(w.toleranceUs));
      const reply = await this.redis.meshgateGcra(key, String(windows[0].emissionUs), String(windows[0].toleranceUs), "", ...more);
      this.noteSuccess();
      return reply;
    } catch (error) {
      this.noteFailure(error instanceof Error ? error : new Error(String(error)));
      throw error;
    }
  }

  /** The very first requests after start wait (bounded) for the connection instead of falling back at once. */
  private async untilFirstReady(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => { timer = setTimeout(resolve, Math.max(this.settings.timeoutMs, 200)); });
    await Promise.race([this.firstReady, deadline]);
    clearTimeout(timer);
    this.everReady = this.everReady || this.redis.status === "ready";
  }

  private noteSuccess(): void {
    this.everReady = true;
    if (!this.down) return;
    this.down = false;
    this.lastLoggedMs = Number.NEGATIVE_INFINITY;
    this.log(`meshgate: redis ${this.address} is available again; rate limits are shared across gateways again`);
  }

  private noteFailure(error: Error): void {
    this.down = true;
    const now = nowMs();
    if (now - this.lastLoggedMs < this.logIntervalMs) return;
    this.lastLoggedMs = now;
    this.log(`meshgate: redis ${this.address} unavailable (${error.message}); faultTolerant limits fall back to this ` +
      `node's local limiter, the others answer 503 until it recovers (logged at most every ${Math.round(this.logIntervalMs / 1000)} s)`);
  }
}

const clients = new Map<string, SharedRedis>();

export function sharedRedis(settings: RedisSettings, log: (line: string) => void, env: NodeJS.ProcessEnv = process.env): SharedRedis {
  const key = JSON.stringify([settings.host, settings.port, settings.database, settings.username, settings.password, settings.timeoutMs]);
  let client = clients.get(key);
  if (!client) {
    client = new SharedRedis(settings, log, logIntervalFrom(env));
    clients.set(key, client);
  }
  return client;
}

function logIntervalFrom(env: NodeJS.ProcessEnv): number {
  const raw = env.MESHGATE_REDIS_LOG_INTERVAL_MS;
  const value = raw === undefined || raw === "" ? DEFAULT_LOG_INTERVAL_MS : Number(raw);
  return Number.isFinite(value) && value >= 0 ? value : DEFAULT_LOG_INTERVAL_MS;
}
