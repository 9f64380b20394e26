// canary.js — header-driven canary routing under load.
//   testers: every request of a tester with `x-canary: always` lands on the canary;
//   users:   SUBJECTS regular users, REPEATS requests each (>= 10 000 in all): the share on the canary is within
//            ±1 point of PERCENTAGE, and every request of a subject lands on the side its FNV-1a bucket names
//            (sticky across requests, VUs, worker threads and replicas).
// The variant is read from the echo upstream (`x-upstream-variant` header or the JSON body's `variant`).
// Run: k6 run load-tests/canary.js
import { check } from 'k6';
import exec from 'k6/execution';
import http from 'k6/http';
import { Rate } from 'k6/metrics';

const BASE_URL = __ENV.BASE_URL || 'http://127.0.0.1:8000';
const AUTH_URL = __ENV.AUTH_URL || 'http://127.0.0.1:9000';
/** Policy canary.percentage and canary.salt. */
const PERCENTAGE = Number(__ENV.PERCENTAGE || 10);
const SALT = __ENV.SALT || '';
const TESTER_GROUP = __ENV.TESTER_GROUP || 'testers';
const OVERRIDE_HEADER = __ENV.OVERRIDE_HEADER || 'x-canary';
const USER_VUS = Number(__ENV.USER_VUS || 20);
const SUBJECTS = Number(__ENV.SUBJECTS || 5000);
const REPEATS = Number(__ENV.REPEATS || 4);
const TESTER_RATE = Number(__ENV.TESTER_RATE || 20);
const TESTERS = Number(__ENV.TESTERS || 10);
/** Subject names must stay ASCII: the bucket below hashes char codes as UTF-8 bytes. */
const SUBJECT_PREFIX = __ENV.SUBJECT_PREFIX || 'k6-user-';

const testerOnCanary = new Rate('tester_on_canary');
const userOnCanary = new Rate('user_on_canary');
const userOnBucketSide = new Rate('user_on_bucket_side');

export const options = {
  scenarios: {
    users: {
      executor: 'shared-iterations',
      exec: 'user',
      vus: USER_VUS,
      iterations: SUBJECTS * REPEATS,
      maxDuration: '10m',
    },
    testers: {
      executor: 'constant-arrival-rate',
      exec: 'tester',
      rate: TESTER_RATE,
      timeUnit: '1s',
      duration: '30s',
      preAllocatedVUs: 5,
      maxVUs: 20,
    },
  },
  setupTimeout: '180s',
  thresholds: {
    tester_on_canary: ['rate==1'],
    user_on_canary: [`rate>=${(PERCENTAGE - 1) / 100}`, `rate<=${(PERCENTAGE + 1) / 100}`],
    user_on_bucket_side: ['rate==1'],
    'http_req_failed{kind:gateway}': ['rate<0.001'],
  },
};

/**
 * @param {import('k6/http').Response} res
 * @returns {string | null} `stable`, `canary`, or null when no upstream answered
 */
function variantOf(res) {
  for (const key of Object.keys(res.headers)) if (key.toLowerCase() === 'x-upstream-variant') return res.headers[key];
  try {
    const body = typeof res.body === 'string' ? JSON.parse(res.body) : null;
    return body && typeof body.variant === 'string' ? body.variant : null;
  } catch (_) {
    return null;
  }
}

/**
 * FNV-1a 32 over the subject's bytes, as the policy reference defines the canary bucket.
 * @param {string} text
 */
function fnv1a32(text) {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    hash ^= text.charCodeAt(i) & 0xff;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/** @param {string} subject */
function expectedVariant(subject) {
  return fnv1a32(`${SALT}:${subject}`) % 10000 < Math.round(PERCENTAGE * 100) ? 'canary' : 'stable';
}

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

export function setup() {
  const subjects = [];
  for (let i = 0; i < SUBJECTS; i += 1) subjects.push(`${SUBJECT_PREFIX}${i}`);
  const testers = [];
  for (let i = 0; i < TESTERS; i += 1) testers.push(`k6-tester-${i}`);
  return { users: issueTokens(subjects, []), testers: issueTokens(testers, [TESTER_GROUP]) };
}

/**
 * Subject i has token users[i]; iteration n asks as subject n % SUBJECTS, so each subject asks exactly REPEATS times.
 * @param {{ users: string[] }} data
 */
export function user(data) {
  const index = exec.scenario.iterationInTest % SUBJECTS;
  const subject = `${SUBJECT_PREFIX}${index}`;
  const res = http.get(`${BASE_URL}/canary-split`, { headers: { authorization: `Bearer ${data.users[index]}` }, tags: { kind: 'gateway' } });
  const variant = variantOf(res);
  check(res, { 'user request answered by an upstream': () => variant !== null });
  if (variant === null) return;
  userOnCanary.add(variant === 'canary');
  userOnBucketSide.add(variant === expectedVariant(subject));
}

/** @param {{ testers: string[] }} data */
export function tester(data) {
  const token = data.testers[exec.scenario.iterationInTest % data.testers.length];
  const res = http.get(`${BASE_URL}/canary-tester`, { headers: { authorization: `Bearer ${token}`, [OVERRIDE_HEADER]: 'always' }, tags: { kind: 'gateway' } });
  testerOnCanary.add(variantOf(res) === 'canary');
}
