// fast-check generators of hostile request header maps, and the outcome each one must have. Shared by
// hostile-input.test.ts (bounded runs in `npm test`) and `npm run fuzz` (HARDENING_RUNS=…).
import fc from "fast-check";

export type Pair = [string, string];

/** How the request carries credentials; the rest of the map is noise. */
export type Credentials = "none" | "valid" | "junk" | "duplicate";

export interface HostileRequest {
  credentials: Credentials;
  pairs: Pair[];
}

export const RUNS = Number(process.env.HARDENING_RUNS ?? 64);
export const SEED = Number(process.env.HARDENING_SEED ?? 20261122);
/** Per-test timeout that grows with the runs (a request through a host takes a few ms, a 1 MiB map more). */
export const PROPERTY_TIMEOUT_MS = Math.max(20_000, RUNS * 100);

/** Stands for bytes that are not UTF-8: the Kong test rewrites its UTF-8 encoding (EE 80 80) on the wire. */
export const NOT_UTF8_MARK = "\ue000";

/** Header names meshgate owns under the hostile-input policy (identity, mapped claim, degraded marker). */
export const OWNED_HEADERS = ["x-auth-subject", "x-auth-groups", "x-tenant", "x-auth-degraded"];

const latin1 = (maxLength: number): fc.Arbitrary<string> =>
  fc.uint8Array({ maxLength }).map((bytes) => Buffer.from(bytes).toString("latin1"));

const headerValue: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.string({ maxLength: 80 }), weight: 4 },
  { arbitrary: latin1(120), weight: 4 }, // CR, LF, NUL, bytes ≥ 0x80
  { arbitrary: fc.tuple(fc.string({ maxLength: 20 }), fc.string({ maxLength: 20 })).map(([a, b]) => `${a}${NOT_UTF8_MARK}${b}`), weight: 2 },
  { arbitrary: fc.constantFrom("", " ", "\r\n", "\u0000", "admin", "testers,admins", "always", "true", "Bearer x"), weight: 3 },
  { arbitrary: fc.integer({ min: 1_000, max: 64 * 1024 }).map((n) => "v".repeat(n)), weight: 1 },
);

const ordinaryName = fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,23}$/);
const headerName: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: ordinaryName, weight: 6 },
  { arbitrary: fc.constantFrom(...OWNED_HEADERS, "X-Auth-Subject", "X-AUTH-GROUPS", "x-canary", "X-Canary", "cookie", "x-request-id", "content-length"), weight: 4 },
  { arbitrary: fc.constant(""), weight: 1 },
  { arbitrary: latin1(16).filter((n) => !n.startsWith(":")), weight: 2 },
);

/** Names the generator never produces on its own: credentials come from `credentials`; host is the request's. */
function isReserved(name: string): boolean {
  const lower = name.toLowerCase();
  return lower === "authorization" || lower === "host" || lower.startsWith(":");
}

/** Printable names and values: the request can reach the upstream, so what it receives can be checked. */
const cleanPair: fc.Arbitrary<Pair> = fc.tuple(
  fc.oneof(ordinaryName, fc.constantFrom(...OWNED_HEADERS, "X-Auth-Subject", "X-AUTH-GROUPS", "x-canary", "cookie")),
  fc.oneof(fc.string({ maxLength: 80 }).map((v) => v.trim()), fc.constantFrom("admin", "testers,admins", "always", "true")),
);

/** A few clean or arbitrary headers, or hundreds of short ones at once (the 1000/1024 limits). */
const noise: fc.Arbitrary<Pair[]> = fc.oneof(
  { arbitrary: fc.array(cleanPair, { maxLength: 24 }), weight: 4 },
  { arbitrary: fc.array(fc.tuple(headerName, headerValue), { maxLength: 24 }), weight: 4 },
  { arbitrary: fc.tuple(fc.integer({ min: 900, max: 1_024 }), fc.array(fc.tuple(headerName, headerValue), { maxLength: 4 }))
      .map(([n, mixed]): Pair[] => [...mixed, ...Array.from({ length: n }, (_, i): Pair => [`x-bulk-${i}`, `${i}`])]), weight: 1 },
);

export interface Limits {
  maxPairs: number;
  maxBytes: number;
}

/** A request within `limits`: the noise is cut at the pair or byte budget, credentials placed at random. */
export function hostileRequest(validToken: string, limits: Limits): fc.Arbitrary<HostileRequest> {
  const credentials = fc.constantFrom<Credentials>("none", "valid", "junk", "duplicate");
  const authName = fc.constantFrom("authorization", "Authorization", "AUTHORIZATION");
  const junk = fc.oneof(headerValue, fc.constantFrom("Bearer", "Bearer ", "Basic dXNlcg==", "bearer a{b}", "Bearer abc def"));
  return fc.tuple(credentials, noise, authName, authName, junk, fc.nat()).map(([kind, raw, name1, name2, junkValue, at]) => {
    const auth: Pair[] = [];
    if (kind === "valid" || kind === "duplicate") auth.push([name1, `Bearer ${validToken}`]);
    if (kind === "junk" || kind === "duplicate") auth.push([name2, junkValue]);
    const pairs: Pair[] = [];
    let bytes = auth.reduce((n, [k, v]) => n + k.length + v.length, 0);
    for (const [name, value] of raw) {
      if (isReserved(name)) continue;
      if (pairs.length + auth.length >= limits.maxPairs || bytes + name.length + value.length > limits.maxBytes) break;
      pairs.push([name, value]);
      bytes += name.length + value.length;
    }
    for (const pair of auth) pairs.splice(at % (pairs.length + 1), 0, pair);
    return { credentials: kind, pairs };
  });
}

/** The pairs as a host request's header record (repeated names as arrays, names kept as sent). */
export function toHeaderRecord(pairs: Pair[]): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = Object.create(null) as Record<string, string | string[]>;
  for (const [name, value] of pairs) {
    const existing = out[name];
    if (existing === undefined) out[name] = value;
    else out[name] = Array.isArray(existing) ? [...existing, value] : [existing, value];
  }
  return out;
}
