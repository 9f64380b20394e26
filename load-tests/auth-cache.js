// auth-cache.js — steady load over a pool of TOKENS tokens: after the first request per token (per worker on the
// Envoy plane) every request must be answered from meshgate's decision cache. setup() resets the auth service's
// counters and fetches the tokens; teardown() reads /stats and fails the run when the auth service was called
// more often than the number of distinct tokens × WORKERS (× the number of cache lifetimes the run spans).
// Run: k6 run load-tests/auth-cache.js   (Envoy plane: -e BASE_URL=http://127.0.0.1:10000 -e WORKERS=2)
import { check } from 'k6';
import exec from 'k6/execution';
import http from 'k6/http';
import { Counter, Rate, Trend } from 'k6/metrics';

const BASE_URL = __ENV.BASE_URL || 'http://127.0.0.1:8000';
const AUTH_URL = __ENV.AUTH_URL || 'http://127.0.0.1:9000';
const TOKENS = Number(__ENV.TOKENS || 50);
const RATE = Number(__ENV.RATE || 200);
const DURATION_SECONDS = Number(__ENV.DURATION_SECONDS || 30);
/** Separate decision caches in front of the auth service: Envoy worker threads (1 for Kong: one plugin server). */
const WORKERS = Number(__ENV.WORKERS || 1);
/** Lifetime of a cached allow (policy auth.cache.ttlSeconds, capped by the token's exp and max-age). */
const CACHE_TTL_SECONDS = Number(__ENV.CACHE_TTL_SECONDS || 60);
const P99_MS = Number(__ENV.P99_MS || 100);
/**
 * Suffix that keeps this run's subjects apart from earlier runs (rate-limit state is per subject). Chosen in setup()
 * and handed to the VUs in its data: k6 evaluates this init code once per VU and once more for setup(), so a
 * Date.now() here would give every VU a different value.
 */
const RUN_ID = __ENV.RUN_ID || '';

/** @returns {string} */
function newRunId() {
  return RUN_ID || String(Date.now());
}

const authCallsOverBudget = new Counter('auth_calls_over_budget');
const authStatsRead = new Rate('auth_stats_read');
const authCallsPerToken = new Trend('auth_calls_per_token');
const cacheHitDuration = new Trend('cache_hit_duration', true);

export const options = {
  scenarios: {
    steady: {
      executor: 'constant-arrival-rate',
      rate: RATE,
      timeUnit: '1s',
      duration: `${DURATION_SECONDS}s`,
      preAllocatedVUs: Math.max(10, Math.ceil(RATE / 20)),
      maxVUs: Math.max(50, RATE),
    },
  },
  thresholds: {
    auth_calls_over_budget: ['count==0'],
    auth_stats_read: ['rate==1'],
    checks: ['rate>0.99'],
    'http_req_failed{kind:gateway}': ['rate<0.01'],
    cache_hit_duration: [`p(99)<${P99_MS}`],
  },
};

/**
 * @param {string} sub
 * @returns {string}
 */
function issueToken(sub) {
  const res = http.post(`${AUTH_URL}/token`, JSON.stringify({ sub, groups: [], ttlSeconds: 3600 }), {
    headers: { 'content-type': 'application/json' },
    tags: { kind: 'token' },
  });
  const token = res.status === 200 ? res.json('access_token') : null;
  if (typeof token !== 'string') throw new Error(`POST ${AUTH_URL}/token for ${sub} answered ${res.status}`);
  return token;
}

/** @returns {number | null} introspection + forward-mode calls since the last reset */
function authCalls() {
  const res = http.get(`${AUTH_URL}/stats`, { tags: { kind: 'stats' } });
  if (res.status !== 200) return null;
  const introspect = res.json('introspect');
  const verify = res.json('verify');
  return typeof introspect === 'number' && typeof verify === 'number' ? introspect + verify : null;
}

export function setup() {
  const reset = http.post(`${AUTH_URL}/stats/reset`, null, { tags: { kind: 'stats' } });
  if (reset.status !== 200) throw new Error(`POST ${AUTH_URL}/stats/reset answered ${reset.status}: auth-cache needs the reference auth service's counters`);
  const run = newRunId();
  const tokens = [];
  for (let i = 0; i < TOKENS; i += 1) tokens.push(issueToken(`k6-cache-${run}-${i}`));
  return { tokens };
}

/** @param {{ tokens: string[] }} data */
export default function (data) {
  const token = data.tokens[exec.scenario.iterationInTest % data.tokens.length];
  const res = http.get(`${BASE_URL}/cached`, { headers: { authorization: `Bearer ${token}` }, tags: { kind: 'gateway' } });
  // Every token has been seen once per cache after the first round; from then on these are cache hits.
  if (exec.scenario.iterationInTest >= data.tokens.length * WORKERS) cacheHitDuration.add(res.timings.duration);
  check(res, { 'cached token → 200': (r) => r.status === 200 });
}

/** @param {{ tokens: string[] }} data */
export function teardown(data) {
  const calls = authCalls();
  authStatsRead.add(calls !== null);
  if (calls === null) return;
  const lifetimes = Math.ceil(DURATION_SECONDS / CACHE_TTL_SECONDS);
  const budget = data.tokens.length * WORKERS * lifetimes;
  authCallsPerToken.add(calls / data.tokens.length);
  authCallsOverBudget.add(Math.max(0, calls - budget));
}
