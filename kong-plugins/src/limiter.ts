// Rate-limit stores of the Kong plane. `local`: GCRA state in this process (exact per Kong node).
// `redis`: the same GCRA as an atomic Lua script shared by every gateway; when Redis fails and the
// policy is fault tolerant, the local store decides instead and the response says so.
import { Redis } from "ioredis";
import type { Flow, Engine } from "../../shared/src/engine";
import { GcraResult } from "../../shared/src/gcra";
import type { RedisSettings } from "../../shared/src/policy";
import { LocalLimiterStore } from "./local-limiter";
import { GCRA_SCRIPT } from "./gcra-script";

export type LimitVerdict = { result: GcraResult; fallback: boolean } | { unavailable: true };

export interface Limiter {
  check(engine: Engine, flow: Flow, nowMs: number): Promise<LimitVerdict> | LimitVerdict;
  close(): Promise<void>;
}

export class LocalLimiter implements Limiter {
  readonly store = new LocalLimiterStore();

  check(engine: Engine, flow: Flow, nowMs: number): LimitVerdict {
    const result = engine.evaluateLimit(flow, this.store.get(flow.limitKey), nowMs);
    if (result.allowed) this.store.set(flow.limitKey, result.newTatUs, nowMs);
    return { result, fallback: false };
  }

  async close(): Promise<void> {}
}

type GcraReply = [number, number, number, number, number];
type RedisWithGcra = Redis & { meshgateGcra(key: string, emissionUs: string, toleranceUs: string, nowUs: string): Promise<GcraReply> };

export class RedisLimiter implements Limiter {
  private readonly redis: RedisWithGcra;
  private readonly fallback = new LocalLimiter();
  private lastLoggedMs = 0;

  constructor(private readonly settings: RedisSettings, private readonly faultTolerant: boolean,
    private readonly log: (message: string) => void, private readonly logIntervalMs = 60_000) {
    this.redis = new Redis({
      host: settings.host, port: settings.port, db: settings.database,
      username: settings.username || undefined, password: settings.password || undefined,
      connectTimeout: Math.max(settings.timeoutMs, 200), commandTimeout: settings.timeoutMs,
      enableOfflineQueue: false, maxRetriesPerRequest: 0, lazyConnect: false,
      retryStrategy: (attempt: number) => Math.min(attempt * 100, 2_000),
    }) as RedisWithGcra;
    this.redis.on("error", (error: Error) => this.logFailure(error));
    this.redis.defineCommand("meshgateGcra", { numberOfKeys: 1, lua: GCRA_SCRIPT });
  }

  async check(engine: Engine, flow: Flow, nowMs: number): Promise<LimitVerdict> {
    const params = engine.gcra;
    try {
      const reply = await this.redis.meshgateGcra(this.settings.prefix + flow.limitKey,
        String(params.emissionUs), String(params.toleranceUs), "");
      return { result: resultFromReply(reply), fallback: false };
    } catch (error) {
      this.logFailure(error as Error);
      if (!this.faultTolerant) return { unavailable: true };
      const local = this.fallback.check(engine, flow, nowMs);
      return { ...local, fallback: true } as LimitVerdict;
    }
  }

  private logFailure(error: Error): void {
    const now = Date.now();
    if (now - this.lastLoggedMs < this.logIntervalMs) return;
    this.lastLoggedMs = now;
    this.log(`meshgate: redis rate limiter unavailable (${error.message}); ${this.faultTolerant ? "limiting locally" : "refusing requests"} until it recovers`);
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}

function resultFromReply(reply: GcraReply): GcraResult {
  const result = new GcraResult();
  result.allowed = Number(reply[0]) === 1;
  result.newTatUs = Number(reply[1]);
  result.remaining = Number(reply[2]);
  result.resetUs = Number(reply[3]);
  result.retryAfterUs = Number(reply[4]);
  return result;
}
