// auth-outage.js — the auth service goes down mid-run (its fault control, POST /faults) and meshgate must degrade
// predictably:
//   cached tokens keep succeeding while their cached allow is fresh or within the stale-if-error grace;
//   tokens it has never seen get the policy's fail-mode status (fail closed: 503 by default);
//   no request takes longer than the auth timeout plus a margin (meshgate never hangs on a sick auth service).
// Timeline: before (BEFORE_SECONDS) → flip the fault → one second → cached_during / fresh_during (OUTAGE_SECONDS).
// teardown() clears the faults again (DELETE /faults), whatever happened.
// Run: k6 run load-tests/auth-outage.js   (FAULT='{"delayMs":2000}' for a hanging auth service instead of resets)
import { check } from 'k6';
import exec from 'k6/execution';
import http from 'k6/http';
import { Rate } from 'k6/metrics';

const BASE_URL = __ENV.BASE_URL || 'http://127.0.0.1:8000';
const AUTH_URL = __ENV.AUTH_URL || 'http://127.0.0.1:9000';
/** The fault to inject (reference auth service /faults body). */
const FAULT = __ENV.FAULT || '{"down":true}';
/** Policy auth.failure.status, auth.timeoutMs, auth.cache.ttlSeconds and auth.cache.staleIfErrorSeconds. */
const FAIL_STATUS = Number(__ENV.FAIL_STATUS || 503);
const TIMEOUT_MS = Number(__ENV.TIMEOUT_MS || 200);
const CACHE_TTL_SECONDS = Number(__ENV.CACHE_TTL_SECONDS || 60);
const STALE_SECONDS = Number(__ENV.STALE_SECONDS || 30);
const MARGIN_MS = Number(__ENV.MARGIN_MS || 300);
const CACHED_TOKENS = Number(__ENV.CACHED_TOKENS || 20);
const RATE = Number(__ENV.RATE || 50);
const FRESH_RATE = Number(__ENV.FRESH_RATE || 10);
const BEFORE_SECONDS = Number(__ENV.BEFORE_SECONDS || 5);
const OUTAGE_SECONDS = Number(__ENV.OUTAGE_SECONDS || 15);
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

const cachedServedBefore = new Rate('cached_served_before_outage');
const cachedServedDuringOutage = new Rate('cached_served_during_outage');
const cachedFailModeAfterGrace = new Rate('cached_fail_mode_after_grace');
const freshGotFailStatus = new Rate('fresh_got_fail_status');
const faultsFlipped = new Rate('faults_flipped');
const faultsRestored = new Rate('faults_restored');

const outageStart = `${BEFORE_SECONDS + 1}s`;

export const options = {
  scenarios: {
    before: {
      executor: 'constant-arrival-rate', exec: 'cached', rate: RATE, timeUnit: '1s', duration: `${BEFORE_SECONDS}s`,
      preAllocatedVUs: 10, maxVUs: 100,
    },
    flip: { executor: 'per-vu-iterations', exec: 'flip', vus: 1, iterations: 1, startTime: `${BEFORE_SECONDS}s` },
    cached_during: {
      executor: 'constant-arrival-rate', exec: 'cached', rate: RATE, timeUnit: '1s', duration: `${OUTAGE_SECONDS}s`,
      startTime: outageStart, preAllocatedVUs: 10, maxVUs: 100,
    },
    fresh_during: {
      executor: 'constant-arrival-rate', exec: 'fresh', rate: FRESH_RATE, timeUnit: '1s', duration: `${OUTAGE_SECONDS}s`,
      startTime: outageStart, preAllocatedVUs: 5, maxVUs: 50,
    },
  },
  thresholds: thresholds(),
};

/** Thresholds only on metrics the configured timeline produces samples for. */
function thresholds() {
  /** @type {Record<string, string[]>} */
  const list = {
    cached_served_before_outage: ['rate==1'],
    cached_served_during_outage: ['rate==1'],
    fresh_got_fail_status: ['rate==1'],
    faults_flipped: ['rate==1'],
    faults_restored: ['rate==1'],
    'http_req_duration{kind:gateway}': [`max<${TIMEOUT_MS + MARGIN_MS}`],
  };
  // Only a run whose outage outlasts the cache lifetime plus the grace sees cached tokens fail (setup takes time too).
  if (BEFORE_SECONDS + 1 + OUTAGE_SECONDS > CACHE_TTL_SECONDS + STALE_SECONDS + 5) list['cached_fail_mode_after_grace'] = ['rate==1'];
  return list;
}

http.setResponseCallback(http.expectedStatuses(200, FAIL_STATUS));

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

/** @param {string} token */
function callGateway(token) {
  return http.get(`${BASE_URL}/outage`, { headers: { authorization: `Bearer ${token}` }, tags: { kind: 'gateway' } });
}

export function setup() {
  http.del(`${AUTH_URL}/faults`, null, { tags: { kind: 'faults' } });
  const run = newRunId();
  const cachedTokens = [];
  for (let i = 0; i < CACHED_TOKENS; i += 1) {
    const token = issueToken(`k6-outage-cached-${run}-${i}`);
    const warm = callGateway(token);
    if (warm.status !== 200) throw new Error(`warming the cache: ${BASE_URL} answered ${warm.status} for a good token`);
    cachedTokens.push(token);
  }
  // Tokens meshgate has never seen, used once each during the outage (POST /token itself is never faulted).
  const freshTokens = [];
  for (let i = 0; i < FRESH_RATE * OUTAGE_SECONDS + 10; i += 1) freshTokens.push(issueToken(`k6-outage-fresh-${run}-${i}`));
  return { cachedTokens, freshTokens, warmedAtMs: Date.now() };
}

/** @param {{ cachedTokens: string[], warmedAtMs: number }} data */
export function cached(data) {
  const res = callGateway(data.cachedTokens[exec.scenario.iterationInTest % data.cachedTokens.length]);
  if (exec.scenario.name === 'before') {
    cachedServedBefore.add(res.status === 200);
    return;
  }
  // Allowed until TTL + stale grace after the warm-up; a second of margin on each side of that edge.
  const ageSeconds = (Date.now() - data.warmedAtMs) / 1000;
  if (ageSeconds < CACHE_TTL_SECONDS + STALE_SECONDS - 1) cachedServedDuringOutage.add(res.status === 200);
  else if (ageSeconds > CACHE_TTL_SECONDS + STALE_SECONDS + 1) cachedFailModeAfterGrace.add(res.status === FAIL_STATUS);
}

/** @param {{ freshTokens: string[] }} data */
export function fresh(data) {
  const res = callGateway(data.freshTokens[exec.scenario.iterationInTest % data.freshTokens.length]);
  freshGotFailStatus.add(res.status === FAIL_STATUS);
}

export function flip() {
  const res = http.post(`${AUTH_URL}/faults`, FAULT, { headers: { 'content-type': 'application/json' }, tags: { kind: 'faults' } });
  faultsFlipped.add(res.status === 200);
  check(res, { 'fault injected': (r) => r.status === 200 });
}

export function teardown() {
  const res = http.del(`${AUTH_URL}/faults`, null, { tags: { kind: 'faults' } });
  faultsRestored.add(res.status === 200);
}
