// rate-limit.js — SUBJECTS subjects, each sending OVERLOAD × the policy's rate. Once the burst allowance is used
// up (WARMUP_SECONDS), the share of allowed requests must equal rate / arrival rate within ±5 %, i.e. each
// subject gets the policy's rate and no more; every 429 must carry Retry-After and the RateLimit headers.
// Run: k6 run load-tests/rate-limit.js   (policy numbers: LIMIT_RATE, LIMIT_PERIOD_SECONDS, LIMIT_BURST)
import { check } from 'k6';
import exec from 'k6/execution';
import http from 'k6/http';
import { Counter, Rate } from 'k6/metrics';

const BASE_URL = __ENV.BASE_URL || 'http://127.0.0.1:8000';
const AUTH_URL = __ENV.AUTH_URL || 'http://127.0.0.1:9000';
/** Policy rateLimit.rate, periodSeconds and burst (the default policy: 20 per second, burst 19). */
const LIMIT_RATE = Number(__ENV.LIMIT_RATE || 20);
const LIMIT_PERIOD_SECONDS = Number(__ENV.LIMIT_PERIOD_SECONDS || 1);
const LIMIT_BURST = Number(__ENV.LIMIT_BURST || 19);
/** Policy rateLimit.headers: ietf (RateLimit-Policy + RateLimit) or legacy (X-RateLimit-*). */
const HEADER_STYLE = __ENV.HEADER_STYLE || 'ietf';
const SUBJECTS = Number(__ENV.SUBJECTS || 5);
const OVERLOAD = Number(__ENV.OVERLOAD || 2);
const DURATION_SECONDS = Number(__ENV.DURATION_SECONDS || 20);
const TOLERANCE = Number(__ENV.TOLERANCE || 0.05);
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

const limitPerSecond = LIMIT_RATE / LIMIT_PERIOD_SECONDS;
const arrivalPerSubject = limitPerSecond * OVERLOAD;
/** Time for a fresh bucket (burst + 1 requests) to empty at the excess arrival rate, plus a second of margin. */
const WARMUP_SECONDS = Number(__ENV.WARMUP_SECONDS || Math.ceil((LIMIT_BURST + 1) / (arrivalPerSubject - limitPerSecond)) + 1);
const expectedShare = limitPerSecond / arrivalPerSubject;

const allowedShare = new Rate('allowed_share');
const rejectionHeadersPresent = new Rate('rejection_headers_present');
const allowedRequests = new Counter('allowed_requests');
const rejectedRequests = new Counter('rejected_requests');

export const options = {
  scenarios: {
    overload: {
      executor: 'constant-arrival-rate',
      rate: Math.round(arrivalPerSubject * SUBJECTS),
      timeUnit: '1s',
      duration: `${DURATION_SECONDS}s`,
      preAllocatedVUs: Math.max(10, SUBJECTS * 4),
      maxVUs: Math.max(50, SUBJECTS * 20),
    },
  },
  thresholds: {
    allowed_share: [`rate>=${expectedShare * (1 - TOLERANCE)}`, `rate<=${expectedShare * (1 + TOLERANCE)}`],
    rejection_headers_present: ['rate==1'],
    checks: ['rate==1'],
    'http_req_failed{kind:gateway}': ['rate==0'],
  },
};

// 200 and 429 are both expected answers here; anything else counts as failed.
http.setResponseCallback(http.expectedStatuses(200, 429));

/**
 * @param {import('k6/http').Response} res
 * @param {string} name
 * @returns {string | undefined}
 */
function header(res, name) {
  const wanted = name.toLowerCase();
  for (const key of Object.keys(res.headers)) if (key.toLowerCase() === wanted) return res.headers[key];
  return undefined;
}

/** @param {import('k6/http').Response} res */
function hasRateLimitHeaders(res) {
  if (HEADER_STYLE === 'legacy') return header(res, 'x-ratelimit-limit') !== undefined && header(res, 'x-ratelimit-remaining') !== undefined;
  if (HEADER_STYLE === 'none') return true;
  return header(res, 'ratelimit-policy') !== undefined && header(res, 'ratelimit') !== undefined;
}

export function setup() {
  const run = newRunId();
  const tokens = [];
  for (let i = 0; i < SUBJECTS; i += 1) {
    const res = http.post(`${AUTH_URL}/token`, JSON.stringify({ sub: `k6-limited-${run}-${i}`, groups: [], ttlSeconds: 3600 }), {
      headers: { 'content-type': 'application/json' },
      tags: { kind: 'token' },
    });
    const token = res.status === 200 ? res.json('access_token') : null;
    if (typeof token !== 'string') throw new Error(`POST ${AUTH_URL}/token answered ${res.status}`);
    tokens.push(token);
  }
  return { tokens };
}

/** @param {{ tokens: string[] }} data */
export default function (data) {
  const token = data.tokens[exec.scenario.iterationInTest % data.tokens.length];
  const res = http.get(`${BASE_URL}/limited`, { headers: { authorization: `Bearer ${token}` }, tags: { kind: 'gateway' } });
  check(res, { 'answered 200 or 429': (r) => r.status === 200 || r.status === 429 });
  if (res.status === 429) {
    rejectedRequests.add(1);
    rejectionHeadersPresent.add(Number(header(res, 'retry-after')) >= 1 && hasRateLimitHeaders(res));
  } else if (res.status === 200) {
    allowedRequests.add(1);
  }
  const elapsedSeconds = (Date.now() - exec.scenario.startTime) / 1000;
  if (elapsedSeconds >= WARMUP_SECONDS && (res.status === 200 || res.status === 429)) allowedShare.add(res.status === 200);
}
