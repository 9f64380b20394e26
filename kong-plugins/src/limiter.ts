// Rate-limit stores of the Kong plane. `local`: GCRA state in this process (exact per Kong node).
// `redis`: the same GCRA as an atomic Lua script shared by every gateway; when Redis fails and the
// policy is fault tolerant, the local store decides instead and the response says so.
import type { Flow, Engine } from "../../shared/src/engine";
import { GcraResult } from "../../shared/src/gcra";
import type { RedisSettings } from "../../shared/src/policy";
import { LocalLimiterStore } from "./local-limiter";
import { type GcraReply, type SharedRedis, sharedRedis } from "./redis-client";

export type LimitVerdict = { result: GcraResult; fallback: boolean } | { unavailable: true };

export interface Limiter {
  check(engine: Engine, flow: Flow, nowMs: number): Promise<LimitVerdict> | LimitVerdict;
}

export class LocalLimiter implements Limiter {
  readonly store = new LocalLimiterStore();

  check(engine: Engine, flow: Flow, nowMs: number): { result: GcraResult; fallback: boolean } {
    const result = engine.evaluateLimit(flow, this.store.get(flow.limitKey), nowMs);
    if (result.allowed) this.store.set(flow.limitKey, result.newTatUs, nowMs);
    return { result, fallback: false };
  }
}

export class RedisLimiter implements Limiter {
  private readonly redis: SharedRedis;
  private readonly fallback = new LocalLimiter();

  constructor(private readonly settings: RedisSettings, private readonly faultTolerant: boolean, log: (line: string) => void) {
    this.redis = sharedRedis(settings, log);
  }

  async check(engine: Engine, flow: Flow, nowMs: number): Promise<LimitVerdict> {
    const params = flow.limitParams;
    try {
      const reply = await this.redis.gcra(this.settings.prefix + flow.limitKey, params.emissionUs, params.toleranceUs);
      return { result: resultFromReply(reply), fallback: false };
    } catch {
      if (!this.faultTolerant) return { unavailable: true };
      return { result: this.fallback.check(engine, flow, nowMs).result, fallback: true };
    }
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
