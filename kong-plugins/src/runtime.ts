// Module-level state per policy. Kong creates a plugin instance per worker and the JS server drops
// instances after 60 s idle, so caches, in-flight calls and limiter state live here, keyed by the
// policy's canonical text, and survive instance churn.
import { LRUCache } from "lru-cache";
import { CachedDecision } from "../../shared/src/decision";
import { Engine } from "../../shared/src/engine";
import { parsePolicy } from "../../shared/src/policy-parse";
import { Plane, planeGaps } from "../../shared/src/plane-completeness";
import type { AuthAnswer } from "./auth-client";
import { AuthMode, LimitStore } from "../../shared/src/policy";
import { AuthServiceBreakers, breakerSettingsFromEnv } from "./circuit-breaker";
import { lruClock } from "./clock";
import { type Limiter, LocalLimiter, RedisLimiter } from "./limiter";
import { policyDocumentFromKongConfig } from "./kong-config";
import { startMetricsEndpoint } from "./metrics-endpoint";
import { PluginMetrics } from "./metrics";
import { NodeKeyDigest } from "./node-digest";
import { NodeSignatureVerifier } from "./node-signature";
import { type JwksFetchOutcome, type JwksSource, jwksSourceFor } from "./jwks-client";
import { noticeLog, operationalLog, warnLog } from "./plugin-logs";


export class PolicyRuntime {
  readonly decisions: LRUCache<string, CachedDecision>;
  /** One auth call per cache key at a time; concurrent misses wait for it. */
  readonly inflight = new Map<string, Promise<AuthAnswer>>();
  readonly limiter: Limiter;
  readonly breakers: AuthServiceBreakers = authServiceBreakers();
  /** jwt mode: the key set this policy verifies with (shared with other policies naming the same one). */
  readonly jwks: JwksSource | null;

  constructor(readonly engine: Engine, readonly policyText: string, readonly metrics: PluginMetrics) {
    const auth = engine.policy.auth;
    this.jwks = auth.enabled && auth.mode == AuthMode.Jwt ? jwksSourceFor(auth.jwt, reportJwksFetch) : null;
    this.decisions = new LRUCache<string, CachedDecision>({ max: engine.policy.auth.cache.maxEntries, ...lruClock });
    const limit = engine.policy.rateLimit;
    this.limiter = limit.enabled && limit.store == LimitStore.Redis
      ? new RedisLimiter(limit.redis, limit.faultTolerant, warnLog)
      : new LocalLimiter();
  }
}

export class PolicyError extends Error {
  constructor(readonly errors: string[]) {
    super(`invalid meshgate policy: ${errors.join("; ")}`);
  }
}

const runtimes = new Map<string, PolicyRuntime>();
/** node:crypto verification for jwt mode; it remembers the KeyObject of each key it has used. */
const signatureVerifier = new NodeSignatureVerifier();

/** Every JWKS fetch is counted; one that fails or is refused is logged (the set in use stays, §11.6). */
function reportJwksFetch(outcome: JwksFetchOutcome): void {
  metrics.recordJwksFetch(outcome.result);
  if (outcome.result !== "ok") {
    operationalLog.add("warn", `meshgate: JWKS fetch from ${outcome.url} ${outcome.result}: ${outcome.detail}; the last good key set stays in use until it is stale`);
  }
}
/** Beyond this many distinct policies the oldest is forgotten here; instances holding it keep working
 *  (Redis connections are shared per server, so nothing is closed under them). */
const MAX_RUNTIMES = 64;

export const metrics = new PluginMetrics(() => {
  let entries = 0;
  for (const runtime of runtimes.values()) entries += runtime.decisions.size;
  return entries;
}, () => breakers?.notClosed() ?? 0);

let breakers: AuthServiceBreakers | null = null;

/** One breaker per auth-service origin for the whole plugin server, i.e. for every Kong worker of this node.
 *  Created on first use, not at module load: Kong's query command loads the plugin too. */
export function authServiceBreakers(): AuthServiceBreakers {
  breakers ??= new AuthServiceBreakers(breakerSettingsFromEnv(process.env, warnLog), (t) => {
    metrics.recordBreakerTransition(t.to);
    operationalLog.add(t.to === "closed" ? "notice" : "warn", `meshgate: auth service ${t.origin} circuit breaker ${t.from} -> ${t.to}: ${t.cause}` +
      (t.to === "open" ? "; auth calls fail at once (auth_breaker_open) and the failure mode applies" : ""));
  });
  return breakers;
}

/** Throws PolicyError naming every invalid field; Kong then fails StartInstance with that message. */
export function runtimeForKongConfig(config: Record<string, unknown>): PolicyRuntime {
  startMetricsEndpoint(metrics.registry, process.env, noticeLog);
  const text = JSON.stringify(policyDocumentFromKongConfig(config));
  const existing = runtimes.get(text);
  if (existing) return existing;
  const parsed = parsePolicy(text);
  if (parsed.errors.length > 0 || parsed.policy === null) throw new PolicyError(parsed.errors);
  // Refused here, when the instance starts, rather than per request (as an auth call with no URL).
  const gaps = planeGaps(parsed.policy, Plane.Kong);
  if (gaps.length > 0) throw new PolicyError(gaps);
  const runtime = new PolicyRuntime(new Engine(parsed.policy, new NodeKeyDigest(), null, signatureVerifier), text, metrics);
  if (runtimes.size >= MAX_RUNTIMES) runtimes.delete(runtimes.keys().next().value as string);
  runtimes.set(text, runtime);
  return runtime;
}
