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
  // Forward mode: claim name → auth-response header (requirements read scope, aud and named claims from them).
  { claimHeaders: { type: "map", keys: { type: "string" }, values: { type: "string" } } },
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
];

const rateLimitFields: Field[] = [
  enabled,
  { key: str({ default: "subject" }) },
  { rate: int([1, 1000000]) }, // required when enabled: the core checks it (Kong cannot express "when")
  { periodSeconds: int([1, 86400]) },
  { burst: int([0, 1000000]) },
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
  // Several windows, all enforced; instead of rate/periodSeconds/burst (no Kong defaults for those two, so that a
  // config with `limits` does not get them filled in: the core's defaults apply).
  {
    limits: {
      type: "array",
      elements: { type: "record", fields: [{ rate: int([1, 1000000], { required: true }) }, { periodSeconds: int([1, 86400]) }, { burst: int([0, 1000000]) }, { name: str() }] },
    },
  },
];

const logFields: Field[] = [
  { decisions: str({ default: "errors", one_of: ["off", "errors", "all"] }) },
  { sampleRate: num([0, 1], { default: 1 }) },
  { level: str({ default: "info", one_of: ["debug", "info", "notice", "warn"] }) },
  { includeSubject: { type: "boolean", default: false } },
];

// ---- Policy v2 (policy-routes.ts): requirements and routes ----

// Claim values: Kong cannot type "a scalar or a list", so a list of strings (the core compares claims as text:
// "7" and "true" match the numbers and booleans a token carries).
const requireFields: Field[] = [
  { scopes: { type: "array", elements: { type: "string" } } },
  { anyScopes: { type: "array", elements: { type: "string" } } },
  { groups: { type: "array", elements: { type: "string" } } },
  { audiences: { type: "array", elements: { type: "string" } } },
  { claims: { type: "map", keys: { type: "string" }, values: { type: "array", elements: { type: "string" } } } },
];

/** A section as a route overrides it: the same fields without Kong defaults (a route states only what it
 *  changes; the rest comes from the top-level section) and without the members only the top level sets. */
function overrideOf(fields: Field[], topOnly: string[]): Record<string, unknown> {
  return record(fields.filter((f) => !topOnly.includes(Object.keys(f)[0]!)).map(withoutDefault));
}

function withoutDefault(field: Field): Field {
  const [name, def] = Object.entries(field)[0]!;
  const { default: _default, ...rest } = def;
  if (rest["type"] === "record" && Array.isArray(rest["fields"])) rest["fields"] = (rest["fields"] as Field[]).map(withoutDefault);
  return { [name]: rest };
}

const failureFields = (authFields.find((f) => "failure" in f)!["failure"]!["fields"]) as Field[];

const routeFields: Field[] = [
  { name: str({ required: true }) },
  {
    match: {
      type: "record",
      required: true,
      fields: [
        { paths: { type: "array", elements: { type: "string" } } },
        { methods: { type: "array", elements: { type: "string" } } },
        { headers: { type: "array", elements: { type: "record", fields: [{ name: str({ required: true }) }, { value: str() }] } } },
      ],
    },
  },
  { anonymous: { type: "boolean" } },
  { failure: overrideOf(failureFields, []) },
  { require: record(requireFields) },
  { rateLimit: overrideOf(rateLimitFields, ["policy", "redis", "faultTolerant", "preAuthIp"]) },
  { canary: overrideOf(canaryFields, ["kong"]) },
];

export const Schema: Field[] = [
  { auth: record(authFields) },
  { canary: record(canaryFields) },
  { rateLimit: record(rateLimitFields) },
  { log: record(logFields) },
  { require: record(requireFields) },
  { routes: { type: "array", elements: { type: "record", fields: routeFields } } },
];
