// Module-level state per policy. Kong creates a plugin instance per worker and the JS server drops
// instances after 60 s idle, so caches, in-flight calls and limiter state live here, keyed by the
// policy's canonical text, and survive instance churn.
import { LRUCache } from "lru-cache";
import { CachedDecision } from "../../shared/src/decision";
import { Engine } from "../../shared/src/engine";
import { parsePolicy } from "../../shared/src/policy-parse";
import type { AuthAnswer } from "./auth-client";
import { LimitStore } from "../../shared/src/policy";
import { type Limiter, LocalLimiter, RedisLimiter } from "./limiter";
import { policyDocumentFromKongConfig } from "./kong-config";
import { NodeKeyDigest } from "./node-digest";

export class PolicyRuntime {
  readonly decisions: LRUCache<string, CachedDecision>;
  /** One auth call per cache key at a time; concurrent misses wait for it. */
  readonly inflight = new Map<string, Promise<AuthAnswer>>();
  readonly limiter: Limiter;

  constructor(readonly engine: Engine, readonly policyText: string) {
    this.decisions = new LRUCache<string, CachedDecision>({ max: engine.policy.auth.cache.maxEntries });
    const limit = engine.policy.rateLimit;
    // The plugin server's stderr lands in Kong's error log, without a PDK round trip.
    this.limiter = limit.enabled && limit.store == LimitStore.Redis
      ? new RedisLimiter(limit.redis, limit.faultTolerant, (line) => console.error(line))
      : new LocalLimiter();
  }
}

export class PolicyError extends Error {
  constructor(readonly errors: string[]) {
    super(`invalid meshgate policy: ${errors.join("; ")}`);
  }
}

const runtimes = new Map<string, PolicyRuntime>();
const MAX_RUNTIMES = 64;

/** Throws PolicyError naming every invalid field; Kong then fails StartInstance with that message. */
export function runtimeForKongConfig(config: Record<string, unknown>): PolicyRuntime {
  const text = JSON.stringify(policyDocumentFromKongConfig(config));
  const existing = runtimes.get(text);
  if (existing) return existing;
  const parsed = parsePolicy(text);
  if (parsed.errors.length > 0 || parsed.policy === null) throw new PolicyError(parsed.errors);
  const runtime = new PolicyRuntime(new Engine(parsed.policy, new NodeKeyDigest()), text);
  if (runtimes.size >= MAX_RUNTIMES) {
    const oldest = runtimes.keys().next().value as string;
    void runtimes.get(oldest)?.limiter.close();
    runtimes.delete(oldest);
  }
  runtimes.set(text, runtime);
  return runtime;
}
