// Kong schema of the `meshgate` plugin. Field names are the policy document's own (camelCase), so a
// policy is the plugin's `config` as is. Kong checks types, ranges and enums; the core validates the
// rest at StartInstance (cross-field rules, header syntax) and names the field on failure.
// Defaults mirror shared/src/policy.ts; a test keeps the two equal.

type Field = Record<string, Record<string, unknown>>;

const str = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({ type: "string", ...extra });
const int = (between: [number, number], extra: Record<string, unknown> = {}): Record<string, unknown> =>
  ({ type: "integer", between, ...extra });
const num = (between: [number, number], extra: Record<string, unknown> = {}): Record<string, unknown> =>
  ({ type: "number", between, ...extra });
const strings = (): Record<string, unknown> => ({ type: "array", elements: { type: "string" }, default: [] });
const record = (fields: Field[]): Record<string, unknown> => ({ type: "record", required: false, fields });

const enabled: Field = { enabled: { type: "boolean", default: true } };
/** auth.shadow, canary.shadow, rateLimit.shadow: decide and record, never enforce. */
const shadow: Field = { shadow: { type: "boolean", default: false } };

const authFields: Field[] = [
  enabled,
  { mode: str({ default: "introspection", one_of: ["introspection", "forward"] }) },
  { service: record([{ url: str() }, { cluster: str() }, { authority: str() }, { path: str() }]) },
  { timeoutMs: int([1, 60000], { default: 200 }) },
  {
    tokenSources: {
      type: "array",
      elements: {
        type: "record",
        fields: [
          { type: str({ required: true, one_of: ["header", "cookie", "query"] }) },
          { name: str() },
          { scheme: str() },
        ],
      },
    },
  },
  { maxTokenLength: int([16, 65536], { default: 4096 }) },
  { forwardHeaders: strings() },
  { introspectionAuthorization: str({ referenceable: true }) },
  { identityHeaders: record([{ subject: str({ default: "x-auth-subject" }) }, { groups: str({ default: "x-auth-groups" }) }]) },
  {
    headerMappings: {
      type: "array",
      default: [],
      elements: { type: "record", fields: [{ from: str({ required: true }) }, { to: str({ required: true }) }] },
    },
  },
  {
    cache: record([
      { maxEntries: int([1, 10000000], { default: 10000 }) },
      { ttlSeconds: num([0, 86400], { default: 60 }) },
      { negativeTtlSeconds: num([0, 86400], { default: 5 }) },
      { staleIfErrorSeconds: num([0, 86400], { default: 30 }) },
    ]),
  },
  // `equals` holds the expected value as JSON text for non-strings (`true`, `1`) or a plain string.
  { bodyRule: record([{ pointer: str({ required: true }) }, { equals: str({ required: true }) }]) },
  {
    failure: record([
      { mode: str({ default: "closed", one_of: ["closed", "open"] }) },
      { status: int([401, 599], { default: 503 }) },
      { openPaths: strings() },
      { degradedHeader: str({ default: "x-auth-degraded" }) },
    ]),
  },
  { anonymousPaths: strings() },
  { realm: str({ default: "meshgate" }) },
  { clockSkewSeconds: num([0, 300], { default: 0 }) },
  shadow,
];

const canaryFields: Field[] = [
  enabled,
  { overrideHeader: str({ default: "x-canary" }) },
  { overrideGroups: strings() },
  { overrideSubjects: strings() },
  { percentage: num([0, 100], { default: 0 }) },
  { salt: str({ default: "" }) },
  { tagHeader: str({ default: "x-canary" }) },
  { baggageKey: str({ default: "" }) },
  { kong: record([{ upstream: str() }, { target: str() }]) },
  shadow,
];

const rateLimitFields: Field[] = [
  enabled,
  { key: str({ default: "subject" }) },
  { rate: int([1, 1000000]) }, // required when enabled: the core checks it (Kong cannot express "when")
  { periodSeconds: int([1, 86400], { default: 1 }) },
  { burst: int([0, 1000000], { default: 0 }) },
  { policy: str({ default: "local", one_of: ["local", "redis"] }) },
  { faultTolerant: { type: "boolean", default: true } },
  {
    redis: record([
      { host: str({ default: "127.0.0.1" }) },
      { port: int([1, 65535], { default: 6379 }) },
      { database: int([0, 15], { default: 0 }) },
      { username: str({ referenceable: true }) },
      { password: str({ referenceable: true }) },
      { timeoutMs: int([1, 5000], { default: 50 }) },
      { prefix: str({ default: "meshgate:rl:" }) },
    ]),
  },
  { headers: str({ default: "ietf", one_of: ["ietf", "legacy", "none"] }) },
  { name: str({ default: "default" }) },
  { status: int([400, 599], { default: 429 }) },
  // Absent = no pre-auth IP limit; its `rate` is required when present (the core checks it).
  { preAuthIp: record([{ rate: int([1, 1000000]) }, { periodSeconds: int([1, 86400], { default: 1 }) }, { burst: int([0, 1000000], { default: 0 }) }]) },
  shadow,
];

const logFields: Field[] = [
  { decisions: str({ default: "errors", one_of: ["off", "errors", "all"] }) },
  { sampleRate: num([0, 1], { default: 1 }) },
  { level: str({ default: "info", one_of: ["debug", "info", "notice", "warn"] }) },
  { includeSubject: { type: "boolean", default: false } },
];

export const Schema: Field[] = [
  { auth: record(authFields) },
  { canary: record(canaryFields) },
  { rateLimit: record(rateLimitFields) },
  { log: record(logFields) },
];
