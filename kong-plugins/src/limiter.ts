// Rate-limit stores of the Kong plane. `local`: GCRA state in this process (exact per Kong node).
// `redis`: the same GCRA as an atomic Lua script shared by every gateway; when Redis fails and the
// policy is fault tolerant, the local store decides instead and the engine is told so (it marks the response).
// Every window of the flow's limit is judged and updated together (gcraStepAll / the script).
import type { Flow, Engine } from "../../shared/src/engine";
import { GcraResult, type GcraVerdict, gcraVerdictOf } from "../../shared/src/gcra";
import type { RedisSettings } from "../../shared/src/policy";
import { LocalLimiterStore } from "./local-limiter";
import { type GcraReply, type SharedRedis, sharedRedis } from "./redis-client";

export type LimitVerdict = { verdict: GcraVerdict; fallback: boolean } | { unavailable: true };

export interface Limiter {
  check(engine: Engine, flow: Flow, nowMs: number): Promise<LimitVerdict> | LimitVerdict;
}

export class LocalLimiter implements Limiter {
  readonly store = new LocalLimiterStore();

  check(engine: Engine, flow: Flow, nowMs: number): { verdict: GcraVerdict; fallback: boolean } {
    const stored = this.store.get(flow.limitKey);
    const verdict = engine.evaluateLimit(flow, stored, nowMs);
    if (verdict.allowed) this.store.set(flow.limitKey, verdict.tatsToStore(stored), nowMs);
    return { verdict, fallback: false };
  }
}

export class RedisLimiter implements Limiter {
  private readonly redis: SharedRedis;
  private readonly fallback = new LocalLimiter();

  constructor(private readonly settings: RedisSettings, private readonly faultTolerant: boolean, log: (line: string) => void) {
    this.redis = sharedRedis(settings, log);
  }

  async check(engine: Engine, flow: Flow, nowMs: number): Promise<LimitVerdict> {
    try {
      const reply = await this.redis.gcra(this.settings.prefix + flow.limitKey, flow.limitWindows);
      return { verdict: verdictFromReply(reply, flow.limitWindows.length), fallback: false };
    } catch {
      if (!this.faultTolerant) return { unavailable: true };
      return { verdict: this.fallback.check(engine, flow, nowMs).verdict, fallback: true };
    }
  }
}

/** The script's five values per window as the core's verdict. */
export function verdictFromReply(reply: GcraReply, windows: number): GcraVerdict {
  const results: GcraResult[] = [];
  for (let w = 0; w < windows; w++) {
    const at = w * 5;
    const result = new GcraResult();
    result.allowed = Number(reply[at]) === 1;
    result.newTatUs = Number(reply[at + 1]);
    result.remaining = Number(reply[at + 2]);
    result.resetUs = Number(reply[at + 3]);
    result.retryAfterUs = Number(reply[at + 4]);
    results.push(result);
  }
  return gcraVerdictOf(results);
}
