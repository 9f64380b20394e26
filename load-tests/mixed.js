// mixed.js — a realistic mix at a ramping arrival rate, with latency thresholds per kind of request:
//   hit    70 %  a token from the warm pool (decision cache hit)
//   new    10 %  a token issued just now (one auth-service call, then cached)
//   bad    10 %  a token the auth service calls inactive (401; negative cache)
//   tester 10 %  a tester forcing the canary with x-canary: always
// Ends with handleSummary(): the summary as JSON and as text (SUMMARY_PREFIX.json / .txt) and the text on stdout.
// Run: k6 run load-tests/mixed.js   (npm run loadtest -- mixed writes into load-tests/results/)
import { check } from 'k6';
import exec from 'k6/execution';
import http from 'k6/http';
import { Rate } from 'k6/metrics';

const BASE_URL = __ENV.BASE_URL || 'http://127.0.0.1:8000';
const AUTH_URL = __ENV.AUTH_URL || 'http://127.0.0.1:9000';
const PEAK_RATE = Number(__ENV.PEAK_RATE || 200);
const RAMP_SECONDS = Number(__ENV.RAMP_SECONDS || 20);
const HOLD_SECONDS = Number(__ENV.HOLD_SECONDS || 30);
const POOL = Number(__ENV.POOL || 200);
const TESTERS = Number(__ENV.TESTERS || 20);
const TESTER_GROUP = __ENV.TESTER_GROUP || 'testers';
const SUMMARY_PREFIX = __ENV.SUMMARY_PREFIX || 'mixed-summary';
/** Latency budgets in ms: cache hits, and requests that need an auth-service call. */
const HIT_P95_MS = Number(__ENV.HIT_P95_MS || 50);
const HIT_P99_MS = Number(__ENV.HIT_P99_MS || 100);
const MISS_P95_MS = Number(__ENV.MISS_P95_MS || 150);
const MISS_P99_MS = Number(__ENV.MISS_P99_MS || 300);
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

const answeredAsExpected = new Rate('answered_as_expected');

export const options = {
  scenarios: {
    mixed: {
      executor: 'ramping-arrival-rate',
      startRate: Math.max(1, Math.round(PEAK_RATE / 10)),
      timeUnit: '1s',
      preAllocatedVUs: Math.max(20, Math.round(PEAK_RATE / 5)),
      maxVUs: Math.max(100, PEAK_RATE * 2),
      stages: [
        { target: PEAK_RATE, duration: `${RAMP_SECONDS}s` },
        { target: PEAK_RATE, duration: `${HOLD_SECONDS}s` },
        { target: 0, duration: `${Math.max(1, Math.round(RAMP_SECONDS / 2))}s` },
      ],
    },
  },
  summaryTrendStats: ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)', 'p(99)'],
  thresholds: {
    answered_as_expected: ['rate>0.99'],
    'http_req_duration{kind:hit}': [`p(95)<${HIT_P95_MS}`, `p(99)<${HIT_P99_MS}`],
    'http_req_duration{kind:tester}': [`p(95)<${HIT_P95_MS}`, `p(99)<${HIT_P99_MS}`],
    'http_req_duration{kind:new}': [`p(95)<${MISS_P95_MS}`, `p(99)<${MISS_P99_MS}`],
    'http_req_duration{kind:bad}': [`p(95)<${MISS_P95_MS}`, `p(99)<${MISS_P99_MS}`],
  },
};

// 401 is the right answer for bad tokens; answered_as_expected judges every request by its kind.
http.setResponseCallback(http.expectedStatuses(200, 401));

/**
 * @param {string[]} subjects
 * @param {string[]} groups
 * @returns {string[]}
 */
function issueTokens(subjects, groups) {
  const tokens = [];
  for (let start = 0; start < subjects.length; start += 100) {
    const replies = http.batch(subjects.slice(start, start + 100).map((sub) => ({
      method: 'POST',
      url: `${AUTH_URL}/token`,
      body: JSON.stringify({ sub, groups, ttlSeconds: 3600 }),
      params: { headers: { 'content-type': 'application/json' }, tags: { kind: 'token' } },
    })));
    for (const res of replies) {
      const token = res.status === 200 ? res.json('access_token') : null;
      if (typeof token !== 'string') throw new Error(`POST ${AUTH_URL}/token answered ${res.status}`);
      tokens.push(token);
    }
  }
  return tokens;
}

/**
 * @param {import('k6/http').Response} res
 * @returns {string | null}
 */
function variantOf(res) {
  for (const key of Object.keys(res.headers)) if (key.toLowerCase() === 'x-upstream-variant') return res.headers[key];
  return null;
}

/**
 * @param {string} token
 * @param {string} kind
 * @param {Record<string, string>} [extra]
 */
function callGateway(token, kind, extra) {
  return http.get(`${BASE_URL}/mixed/${kind}`, { headers: Object.assign({ authorization: `Bearer ${token}` }, extra), tags: { kind } });
}

export function setup() {
  const run = newRunId();
  const pool = [];
  for (let i = 0; i < POOL; i += 1) pool.push(`k6-mixed-${run}-${i}`);
  const testers = [];
  for (let i = 0; i < TESTERS; i += 1) testers.push(`k6-mixed-tester-${run}-${i}`);
  const data = { run, pool: issueTokens(pool, []), testers: issueTokens(testers, [TESTER_GROUP]) };
  // Warm the cache so "hit" means a hit from the first second on.
  for (const token of data.pool.concat(data.testers)) callGateway(token, 'warm');
  return data;
}

/** @param {{ run: string, pool: string[], testers: string[] }} data */
export default function (data) {
  const n = exec.scenario.iterationInTest;
  const slot = n % 10;
  if (slot < 7) {
    const res = callGateway(data.pool[n % data.pool.length], 'hit');
    answeredAsExpected.add(check(res, { 'hit → 200': (r) => r.status === 200 }));
  } else if (slot === 7) {
    const token = issueTokens([`k6-mixed-new-${data.run}-${n}`], [])[0];
    const res = callGateway(token, 'new');
    answeredAsExpected.add(check(res, { 'new token → 200': (r) => r.status === 200 }));
  } else if (slot === 8) {
    const res = callGateway(`k6-bad-token-${data.run}-${n}`, 'bad');
    answeredAsExpected.add(check(res, { 'bad token → 401': (r) => r.status === 401 }));
  } else {
    const res = callGateway(data.testers[n % data.testers.length], 'tester', { 'x-canary': 'always' });
    answeredAsExpected.add(check(res, { 'tester → canary': (r) => r.status === 200 && variantOf(r) === 'canary' }));
  }
}

/**
 * @param {unknown} value
 * @returns {Record<string, unknown>}
 */
function asObject(value) {
  return typeof value === 'object' && value !== null ? /** @type {Record<string, unknown>} */ (value) : {};
}

/**
 * @param {unknown} value
 * @param {boolean} isTime
 */
function formatValue(value, isTime) {
  if (typeof value !== 'number') return String(value);
  if (isTime) return value >= 1000 ? `${(value / 1000).toFixed(2)}s` : `${value.toFixed(2)}ms`;
  return Number.isInteger(value) ? String(value) : value.toFixed(4);
}

/**
 * A plain-text summary (thresholds first, then every metric's values) without any library.
 * Reads both summary layouts: `metrics[name].values` and values directly on `metrics[name]`.
 * @param {unknown} data
 * @returns {string}
 */
function textSummary(data) {
  const metrics = asObject(asObject(data).metrics);
  const lines = [`meshgate mixed load — ${BASE_URL} — peak ${PEAK_RATE}/s`, '', 'THRESHOLDS'];
  let failed = 0;
  for (const name of Object.keys(metrics).sort()) {
    const thresholds = asObject(asObject(metrics[name]).thresholds);
    for (const expression of Object.keys(thresholds)) {
      const result = thresholds[expression];
      const ok = typeof result === 'boolean' ? !result : asObject(result).ok === true;
      if (!ok) failed += 1;
      lines.push(`  ${ok ? 'ok  ' : 'FAIL'} ${name} ${expression}`);
    }
  }
  lines.push('', 'METRICS');
  for (const name of Object.keys(metrics).sort()) {
    const metric = asObject(metrics[name]);
    const values = asObject(metric.values !== undefined ? metric.values : metric);
    const isTime = metric.contains === 'time';
    const shown = Object.keys(values)
      .filter((key) => key !== 'thresholds' && key !== 'type' && key !== 'contains')
      .map((key) => `${key}=${formatValue(values[key], isTime)}`);
    lines.push(`  ${name.padEnd(44, '.')} ${shown.join(' ')}`);
  }
  lines.push('', failed === 0 ? 'all thresholds passed' : `${failed} threshold(s) FAILED`, '');
  return lines.join('\n');
}

/** @param {unknown} data */
export function handleSummary(data) {
  const text = textSummary(data);
  return {
    stdout: text,
    [`${SUMMARY_PREFIX}.txt`]: text,
    [`${SUMMARY_PREFIX}.json`]: JSON.stringify(data, null, 2),
  };
}
