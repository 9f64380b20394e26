// smoke.js — one virtual user, every meshgate feature once, on the plane at BASE_URL.
// Run: k6 run load-tests/smoke.js   (BASE_URL=http://127.0.0.1:10000 for the Envoy plane)
// Any failed check fails the run (threshold checks: rate==1).
import { check, group } from 'k6';
import http from 'k6/http';

const BASE_URL = __ENV.BASE_URL || 'http://127.0.0.1:8000';
const AUTH_URL = __ENV.AUTH_URL || 'http://127.0.0.1:9000';
/** Path served without a token (policy auth.anonymousPaths). */
const ANONYMOUS_PATH = __ENV.ANONYMOUS_PATH || '/healthz';
/** Burst capacity of the per-subject limit (policy rateLimit.burst + 1). */
const LIMIT_CAPACITY = Number(__ENV.LIMIT_CAPACITY || 20);
const TESTER_GROUP = __ENV.TESTER_GROUP || 'testers';
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

export const options = {
  scenarios: {
    smoke: { executor: 'per-vu-iterations', vus: 1, iterations: 1, maxDuration: '1m' },
  },
  thresholds: {
    checks: ['rate==1'],
    'http_req_duration{kind:gateway}': ['p(95)<1000'],
  },
};

/**
 * @param {string} sub
 * @param {string[]} groups
 * @returns {string}
 */
function issueToken(sub, groups) {
  const res = http.post(`${AUTH_URL}/token`, JSON.stringify({ sub, groups, ttlSeconds: 600 }), {
    headers: { 'content-type': 'application/json' },
    tags: { kind: 'token' },
  });
  const token = res.status === 200 ? res.json('access_token') : null;
  if (typeof token !== 'string') throw new Error(`POST ${AUTH_URL}/token for ${sub} answered ${res.status}`);
  return token;
}

/**
 * k6 canonicalises header names (Retry-After, Ratelimit-Policy); look them up case-insensitively.
 * @param {import('k6/http').Response} res
 * @param {string} name
 * @returns {string | undefined}
 */
function header(res, name) {
  const wanted = name.toLowerCase();
  for (const key of Object.keys(res.headers)) if (key.toLowerCase() === wanted) return res.headers[key];
  return undefined;
}

/**
 * The echo upstream's answer: where the request landed and what reached it (null for a gateway reply).
 * @param {import('k6/http').Response} res
 * @returns {{ variant: string, headers: Record<string, string> } | null}
 */
function echoOf(res) {
  if (typeof res.body !== 'string' || res.body === '') return null;
  try {
    const parsed = JSON.parse(res.body);
    if (parsed && typeof parsed.variant === 'string' && parsed.headers && typeof parsed.headers === 'object') return parsed;
  } catch (_) {
    // not the echo upstream
  }
  return null;
}

/**
 * @param {string} path
 * @param {Record<string, string>} headers
 */
function get(path, headers) {
  return http.get(`${BASE_URL}${path}`, { headers, tags: { kind: 'gateway' } });
}

export function setup() {
  const run = newRunId();
  const userSubject = `k6-smoke-user-${run}`;
  return {
    userSubject,
    tester: issueToken(`k6-smoke-tester-${run}`, [TESTER_GROUP]),
    user: issueToken(userSubject, []),
    burst: issueToken(`k6-smoke-burst-${run}`, []),
  };
}

/** @param {{ userSubject: string, tester: string, user: string, burst: string }} tokens */
export default function (tokens) {
  group('tokens', () => {
    const none = get('/smoke', {});
    check(none, {
      'no token → 401': (r) => r.status === 401,
      'no token → WWW-Authenticate: Bearer': (r) => /^Bearer /.test(header(r, 'www-authenticate') || ''),
    });
    const bad = get('/smoke', { authorization: 'Bearer not-a-real-token' });
    check(bad, {
      'bad token → 401': (r) => r.status === 401,
      'bad token → error="invalid_token"': (r) => /error="invalid_token"/.test(header(r, 'www-authenticate') || ''),
    });
    const good = get('/smoke', { authorization: `Bearer ${tokens.user}` });
    const echo = echoOf(good);
    check(good, {
      'good token → 200': (r) => r.status === 200,
      'identity header reaches the upstream': () => echo !== null && echo.headers['x-auth-subject'] === tokens.userSubject,
    });
  });

  group('identity headers from clients are stripped', () => {
    const spoofed = get('/smoke', { authorization: `Bearer ${tokens.user}`, 'x-auth-subject': 'mallory', 'x-auth-groups': TESTER_GROUP });
    const echo = echoOf(spoofed);
    check(spoofed, {
      'spoofed x-auth-subject replaced by the verified one': () => echo !== null && echo.headers['x-auth-subject'] === tokens.userSubject,
      'spoofed x-auth-groups removed': () => echo !== null && echo.headers['x-auth-groups'] === undefined,
    });
    const anonymous = get(ANONYMOUS_PATH, { 'x-auth-subject': 'mallory' });
    const anonymousEcho = echoOf(anonymous);
    check(anonymous, {
      'anonymous path served without a token': (r) => r.status === 200,
      'anonymous request carries no identity': () => anonymousEcho !== null && anonymousEcho.headers['x-auth-subject'] === undefined,
    });
  });

  group('canary', () => {
    const always = echoOf(get('/smoke', { authorization: `Bearer ${tokens.tester}`, 'x-canary': 'always' }));
    const never = echoOf(get('/smoke', { authorization: `Bearer ${tokens.tester}`, 'x-canary': 'never' }));
    const plain = echoOf(get('/smoke', { authorization: `Bearer ${tokens.user}` }));
    const forced = echoOf(get('/smoke', { authorization: `Bearer ${tokens.user}`, 'x-canary': 'always' }));
    check(null, {
      'tester + x-canary: always → canary': () => always !== null && always.variant === 'canary',
      'tester + x-canary: never → stable': () => never !== null && never.variant === 'stable',
      'non-tester + x-canary: always → not forced': () => plain !== null && forced !== null && forced.variant === plain.variant,
    });
  });

  group('rate limit', () => {
    // Three times the capacity: the limit refills at its rate while the batch runs (k6 sends 6 at a time per host,
    // `batchPerHost`), so the excess must outlast two seconds of refill on a slow gateway, not half a second.
    const burst = LIMIT_CAPACITY * 3;
    /** @type {import('k6/http').ObjectBatchRequest[]} */
    const requests = [];
    for (let i = 0; i < burst; i += 1) {
      requests.push({ method: 'GET', url: `${BASE_URL}/smoke-burst`, params: { headers: { authorization: `Bearer ${tokens.burst}` }, tags: { kind: 'gateway' } } });
    }
    const replies = http.batch(requests);
    const rejected = replies.filter((r) => r.status === 429);
    check(rejected, {
      'a burst beyond the limit gets 429s': (r) => r.length > 0,
      'every 429 has Retry-After': (r) => r.every((res) => Number(header(res, 'retry-after')) >= 1),
      'every 429 has RateLimit headers': (r) => r.every((res) => header(res, 'ratelimit-policy') !== undefined || header(res, 'x-ratelimit-limit') !== undefined),
    });
  });
}
