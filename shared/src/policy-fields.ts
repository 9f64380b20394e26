// THE field table of the policy document: every field's type, range or choices, default, planes, error phrase and
// one-line meaning, written here and nowhere else. From it `npm run gen:fields` (scripts/gen-fields.mjs) writes
// the Kong schema (kong-plugins/src/schema.ts), the JSON Schema (schemas/meshgate-policy.schema.json), the
// field tables of shared/README.md and the parser's constants (policy-facts.generated.ts: phrase, range, length,
// default per row, which policy-parse.ts, policy-routes.ts and policy.ts read instead of literals).
// test/scripts/gen-fields.test.ts fails when a written file is stale; test/core/policy-fields.test.ts when the
// parser disagrees with a row. Cross-field rules ("rate is required when enabled", "upstream or target, not
// both", owned-header collisions) stay in the parser and are documented in shared/README.md.
//
// Adding a field: add its row below (parents before children, in the order the README lists them), run
// `npm run gen:fields`, teach policy-parse.ts to read it with the generated constants, and commit the
// regenerated files with the row. This module is plain data for Node-side generators and tests; the wasm build
// never imports it (it compiles policy-facts.generated.ts).

export type FieldType = "boolean" | "integer" | "number" | "string" | "object" | "array" | "map" | "scalar" | "scalarOrList";
/** Where a field has an effect: `kong`/`envoy` fields are accepted on both planes and ignored by the other. */
export type FieldPlanes = "both" | "kong" | "envoy";

export interface PolicyField {
  /** Dotted path from the document root; `[]` is every item of an array (`auth.tokenSources[].type`). */
  path: string;
  type: FieldType;
  /** Error phrase: `<path>: expected <phrase>, got <value>`, word for word. */
  phrase: string;
  /** Markdown after the phrase in the reference (other phrases of the same field, and when they apply). */
  phraseNote?: string;
  /** Inclusive bounds of an integer or number. */
  range?: [number, number];
  /** Integers outside `range` that are valid too (`failure.status`: 401 or 500..599). */
  alsoAllowed?: number[];
  /** Phrase when the value is above `range` (`rateLimit.burst`); else `phrase`. */
  phraseAbove?: string;
  /** The only valid strings. */
  choices?: string[];
  /** Strings: length bounds (UTF-16 code units); arrays: item count bounds. */
  length?: [number, number];
  /** ECMAScript regex (anchored) a valid string matches; editors check it through the JSON Schema. */
  pattern?: string;
  /** Written out, means the same as leaving the field out. Absent: no value does (see `required`). */
  default?: unknown;
  /** Must be given: always, or only when its section is enabled (a cross-field rule the parser checks). */
  required?: "always" | "whenEnabled";
  planes: FieldPlanes;
  /** A secret: never echoed in errors; a Kong vault reference is allowed (`referenceable`). */
  secret?: boolean;
  /** The reference's "Type" column when it says more than `type` ("array of strings"). */
  typeLabel?: string;
  /** Rows that share a path and differ by a sibling's value (token source `name` per `type`). */
  variant?: string;
  /** An object whose members are another section's (a route's `rateLimit` is `rateLimit`'s), without defaults:
   *  what the object leaves out comes from that section. */
  sameAs?: string;
  /** Left out, this other field's value applies (a route's `auth.shadow` is the top-level `auth.shadow`). */
  inherits?: string;
  /** With `sameAs`: members only that section may set (refused in this object). */
  except?: string[];
  /** `required: "whenEnabled"` is met by this sibling instead (`rateLimit.rate` or `rateLimit.limits`). */
  orInstead?: string;
  /** Siblings that must not be given together with this field (`limits` with `rate`/`periodSeconds`/`burst`). */
  excludes?: string[];
  /** `false`: no default in the Kong schema, where Kong would write it into every config (making a sibling that
   *  excludes this field, `limits`, look given twice; or a section left out appear); the core fills it. */
  kongDefault?: false;
  description: string;
}

const HEADER_NAME = "header name (token characters, 1..256)";
const HEADER_PATTERN = "^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,256}$";
const PATH_RULE = "path rule (starts with \"/\", optional trailing \"*\")";
const PATH_RULE_PATTERN = "^/[!-)+-~]*\\*?$";
const NAME_ITEM = "name (1..256 characters, no control characters)";
const SF_TOKEN_PATTERN = "^[A-Za-z*][!#$%&'*+.^_`|~0-9A-Za-z:/-]{0,63}$";

export const POLICY_FIELDS: PolicyField[] = [
  // ------------------------------------------------------------------ auth
  { path: "auth", type: "object", phrase: "object", planes: "both",
    description: "Token verification through an auth service. Present = enabled." },
  { path: "auth.enabled", type: "boolean", phrase: "boolean", default: true, planes: "both",
    description: "`false` switches auth off." },
  { path: "auth.mode", type: "string", phrase: "one of \"introspection\", \"forward\", \"jwt\"", choices: ["introspection", "forward", "jwt"],
    default: "introspection", planes: "both",
    description: "`introspection`: RFC 7662 — POST `token=<token>` as a form, allow when the JSON answer has `\"active\": true` (and `exp`, when present, is in the future). `forward`: ext_authz HTTP style — the auth service gets the request's headers; any 2xx allows, anything else denies with its status. `jwt`: the plane verifies the token itself against the issuer's published keys (`auth.jwt`); no auth-service call ([DECISIONS.md §11](DECISIONS.md#11-local-jwt-verification-signatures-keys-checks))." },
  { path: "auth.service", type: "object", phrase: "object", required: "whenEnabled", orInstead: "jwt", planes: "both",
    description: "Where the auth service is (not used in `jwt` mode, which needs `auth.jwt` instead). At least one plane's address must be complete; give both to use one policy on both planes." },
  { path: "auth.service.url", type: "string", phrase: "absolute http or https URL", length: [1, 2048], pattern: "^[Hh][Tt][Tt][Pp][Ss]?://[^/?#@\\s]+([/?][^#\\s]*)?$",
    planes: "kong", description: "The auth endpoint for the Kong plane, e.g. `http://auth.internal:8080/introspect`." },
  { path: "auth.service.cluster", type: "string", phrase: "cluster name (1..256 visible ASCII characters)", length: [1, 256], pattern: "^[!-~]{1,256}$",
    planes: "envoy", description: "Envoy cluster of the auth service, e.g. `outbound|8080||auth.auth-system.svc.cluster.local`." },
  { path: "auth.service.authority", type: "string", phrase: "authority (host or host:port)", length: [1, 256], pattern: "^[!-~]{1,256}$",
    planes: "envoy", description: "`:authority` of the auth call." },
  { path: "auth.service.path", type: "string", phrase: "path starting with \"/\"", length: [1, 2048], pattern: "^/[!-\"$-~]*$",
    planes: "envoy", description: "`:path` of the auth call (a query string is allowed)." },
  { path: "auth.timeoutMs", type: "integer", phrase: "integer 1..60000", range: [1, 60000], default: 200, planes: "both",
    description: "Timeout of one auth call, in milliseconds." },
  { path: "auth.tokenSources", type: "array", phrase: "array of 1..8 token sources", length: [1, 8], default: [{ type: "header" }], planes: "both",
    description: "Where the token is, tried in order (first source that has a value wins)." },
  { path: "auth.tokenSources[]", type: "object", phrase: "object", planes: "both", description: "One source; see the table below." },
  { path: "auth.tokenSources[].type", type: "string", phrase: "one of \"header\", \"cookie\", \"query\"", choices: ["header", "cookie", "query"],
    required: "always", planes: "both", description: "Where to look." },
  { path: "auth.tokenSources[].name", variant: "header", type: "string", phrase: HEADER_NAME, length: [1, 256], default: "authorization", planes: "both",
    description: "Header to read, lowercased." },
  { path: "auth.tokenSources[].scheme", variant: "header only", type: "string", phrase: "auth scheme (empty or token characters, at most 64)",
    length: [0, 64], pattern: "^[!#$%&'*+.^_`|~0-9A-Za-z-]{0,64}$", default: "Bearer", planes: "both",
    description: "Scheme before the token, matched case-insensitively (`Bearer abc` → `abc`). `\"\"` = the whole header value is the token." },
  { path: "auth.tokenSources[].name", variant: "cookie", type: "string", phrase: "cookie name (token characters, 1..256)", length: [1, 256],
    required: "always", planes: "both", description: "Cookie that holds the token (case-sensitive)." },
  { path: "auth.tokenSources[].name", variant: "query", type: "string", phrase: "query parameter name (1..256 unreserved characters)", length: [1, 256],
    required: "always", planes: "both", description: "Query parameter that holds the token (case-sensitive)." },
  { path: "auth.maxTokenLength", type: "integer", phrase: "integer 16..65536", range: [16, 65536], default: 4096, planes: "both",
    description: "Longer tokens are rejected as invalid without calling the auth service." },
  { path: "auth.forwardHeaders", type: "array", typeLabel: "array of strings", phrase: "array of at most 64 header names", length: [0, 64], default: [],
    planes: "both", description: "Request headers copied onto the auth call, in both modes." },
  { path: "auth.forwardHeaders[]", type: "string", phrase: "header name (token characters, 1..256), \":method\" or \":path\"", length: [1, 256],
    pattern: "^([!#$%&'*+.^_`|~0-9A-Za-z-]{1,256}|:[Mm][Ee][Tt][Hh][Oo][Dd]|:[Pp][Aa][Tt][Hh])$", planes: "both",
    description: "Lowercased. `:method` and `:path` send the request's method and path (with its query) to the auth service as `x-forwarded-method` and `x-forwarded-uri`." },
  { path: "auth.introspectionAuthorization", type: "string", phrase: "header value without control characters (at most 4096 characters)",
    length: [0, 4096], default: "", secret: true, planes: "both",
    description: "`Authorization` header of introspection calls (client authentication, e.g. `Basic …`). **A secret**: see [Secrets](#secrets). Empty = none." },
  { path: "auth.identityHeaders", type: "object", phrase: "object", default: {}, planes: "both",
    description: "Upstream headers that carry the verified identity." },
  { path: "auth.identityHeaders.subject", type: "string", phrase: HEADER_NAME, length: [1, 256], pattern: HEADER_PATTERN, default: "x-auth-subject", planes: "both",
    description: "Gets the subject: the `sub` claim, or in `forward` mode the auth response's header of this name." },
  { path: "auth.identityHeaders.groups", type: "string", phrase: HEADER_NAME, length: [1, 256], pattern: HEADER_PATTERN, default: "x-auth-groups", planes: "both",
    description: "Gets the groups, comma-separated: the `groups` claim (array, or comma/space-separated string), or in `forward` mode the auth response's header of this name." },
  { path: "auth.headerMappings", type: "array", phrase: "array of at most 64 mappings", length: [0, 64], default: [], planes: "both",
    description: "Extra identity copied upstream." },
  { path: "auth.headerMappings[]", type: "object", phrase: "object", planes: "both", description: "`{ \"from\": …, \"to\": … }`, both required." },
  { path: "auth.headerMappings[].from", type: "string", phrase: "claim or header name (1..256 characters, no control characters)",
    phraseNote: "; in `forward` mode also `header name (token characters, 1..256)`", length: [1, 256], required: "always", planes: "both",
    description: "Claim name of the introspection answer, or (in `forward` mode) response header of the auth service, lowercased." },
  { path: "auth.headerMappings[].to", type: "string", phrase: HEADER_NAME, length: [1, 256], pattern: HEADER_PATTERN, required: "always", planes: "both",
    description: "Upstream request header, lowercased." },
  { path: "auth.cache", type: "object", phrase: "object", default: {}, planes: "both",
    description: "Decision cache (key = SHA-256 of the full token plus the auth settings)." },
  { path: "auth.cache.maxEntries", type: "integer", phrase: "integer 1..10000000", range: [1, 10000000], default: 10000, planes: "both",
    description: "Most entries the cache keeps." },
  { path: "auth.cache.ttlSeconds", type: "number", phrase: "number 0..86400", range: [0, 86400], default: 60, planes: "both",
    description: "Longest life of an allow. The entry lives min(`ttlSeconds`, `exp` − now, `Cache-Control: max-age`). `0` disables caching of allows." },
  // An hour at most: a deny outliving the cause (a token issued a moment before the auth service knew it, a brief
  // auth-service misanswer) locks its holder out for as long as the entry lives.
  { path: "auth.cache.negativeTtlSeconds", type: "number", phrase: "number 0..3600", range: [0, 3600], default: 5, planes: "both",
    description: "Life of a deny. `0` disables caching of denies." },
  { path: "auth.cache.staleIfErrorSeconds", type: "number", phrase: "number 0..86400", range: [0, 86400], default: 30, planes: "both",
    description: "When the auth service fails, an allow that expired at most this long ago is still served. `0` = never." },
  { path: "auth.bodyRule", type: "object", phrase: "object", planes: "both",
    description: "For legacy auth services that always answer 200: allow only when the JSON answer holds `equals` at `pointer`." },
  { path: "auth.bodyRule.pointer", type: "string", phrase: "JSON pointer starting with \"/\"", length: [1, 1024], required: "always", planes: "both",
    description: "RFC 6901 pointer (at most 1024 characters, no control characters, `~` only as `~0` or `~1`), e.g. `/result/valid`." },
  { path: "auth.bodyRule.equals", type: "scalar", typeLabel: "any scalar", phrase: "JSON scalar (string, number, boolean or null)", required: "always",
    planes: "both",
    description: "Expected value, compared as canonical JSON (`1` equals `1.0`; `\"1\"` does not equal `1`). On Kong a string: JSON text for a non-string value (`\"true\"`, `\"1\"`)." },
  { path: "auth.failure", type: "object", phrase: "object", default: {}, planes: "both",
    description: "What happens when the auth service cannot answer (error, timeout, 5xx, garbage)." },
  { path: "auth.failure.mode", type: "string", phrase: "one of \"closed\", \"open\"", choices: ["closed", "open"], default: "closed", planes: "both",
    description: "`closed`: answer `failure.status`. `open`: forward the request without identity, marked with `degradedHeader`. A recent cached allow (see `staleIfErrorSeconds`) is served first in both modes." },
  // 401 tells the client its token was refused (it may fetch a new one); any other 4xx would blame the request
  // for the auth service's failure. 5xx says what happened.
  { path: "auth.failure.status", type: "integer", phrase: "401 or integer 500..599", range: [500, 599], alsoAllowed: [401], default: 503, planes: "both",
    description: "Status of a fail-closed answer." },
  { path: "auth.failure.openPaths", type: "array", typeLabel: "array of strings", phrase: "array of at most 256 path rules", length: [0, 256], default: [],
    planes: "both", description: "Paths that fail open even when `mode` is `closed`." },
  { path: "auth.failure.openPaths[]", type: "string", phrase: PATH_RULE, length: [1, 1024], pattern: PATH_RULE_PATTERN, planes: "both",
    description: "See [Path rules](#path-rules)." },
  { path: "auth.failure.degradedHeader", type: "string", phrase: HEADER_NAME, length: [1, 256], pattern: HEADER_PATTERN, default: "x-auth-degraded",
    planes: "both", description: "Marks upstream a request that was forwarded because of fail-open; the value is the failure reason." },
  { path: "auth.anonymousPaths", type: "array", typeLabel: "array of strings", phrase: "array of at most 256 path rules", length: [0, 256], default: [],
    planes: "both", description: "Paths served without a token: a request without one is forwarded with no identity instead of getting a 401." },
  { path: "auth.anonymousPaths[]", type: "string", phrase: PATH_RULE, length: [1, 1024], pattern: PATH_RULE_PATTERN, planes: "both",
    description: "See [Path rules](#path-rules)." },
  { path: "auth.realm", type: "string", phrase: "realm (at most 256 printable ASCII characters, no \" or \\)", length: [0, 256], pattern: "^[ !#-\\[\\]-~]{0,256}$",
    default: "meshgate", planes: "both", description: "`realm` of `WWW-Authenticate: Bearer realm=\"…\"`. Printable ASCII = space to `~`." },
  { path: "auth.clockSkewSeconds", type: "number", phrase: "number 0..300", range: [0, 300], default: 0, planes: "both",
    description: "Tolerance when comparing `exp`/`nbf` with the plane's clock." },
  { path: "auth.claimHeaders", type: "map", phrase: "object of at most 32 claim → header names", length: [0, 32], default: {}, planes: "both",
    description: "`forward` mode: `{ claim: \"auth-response-header\" }`, the auth response's headers that carry `scope`, `aud` and any claim a `require` reads, e.g. `{ scope: x-auth-scope }`." },
  { path: "auth.claimHeaders.*", type: "string", phrase: HEADER_NAME, length: [1, 256], pattern: HEADER_PATTERN, planes: "both",
    description: "Auth-response header that carries the claim (the key, 1..256 characters without control characters), lowercased." },
  { path: "auth.shadow", type: "boolean", phrase: "boolean", default: false, planes: "both",
    description: "Shadow mode: auth decides in full (cache, auth-service calls, fail mode, requirements) and records what it would have done (a decision-log line with `shadow: true` and `would_status`; `meshgate_shadow_decisions_total`) but never refuses and sets no identity header; later sections see the request as anonymous. A route's `auth.shadow` overrides it on that route; a client's identity headers are left alone only while no route enforces auth ([DECISIONS.md §10](DECISIONS.md#10-shadow-mode), [SECURITY.md](../SECURITY.md#shadow-mode))." },
  { path: "auth.jwt", type: "object", phrase: "object", planes: "both",
    description: "`jwt` mode: where the keys are, which tokens to accept and how to refresh the keys. Required in `jwt` mode, refused in the others." },
  { path: "auth.jwt.jwks", type: "object", phrase: "object", required: "always", planes: "both",
    description: "The JWKS endpoint (RFC 7517 key set). At least one plane's address must be complete, like `auth.service`." },
  { path: "auth.jwt.jwks.url", type: "string", phrase: "absolute http or https URL", length: [1, 2048], pattern: "^[Hh][Tt][Tt][Pp][Ss]?://[^/?#@\\s]+([/?][^#\\s]*)?$",
    planes: "kong", description: "The key set's URL for the Kong plane, e.g. `http://auth.internal:8080/.well-known/jwks.json`." },
  { path: "auth.jwt.jwks.cluster", type: "string", phrase: "cluster name (1..256 visible ASCII characters)", length: [1, 256], pattern: "^[!-~]{1,256}$",
    planes: "envoy", description: "Envoy cluster that serves the key set." },
  { path: "auth.jwt.jwks.authority", type: "string", phrase: "authority (host or host:port)", length: [1, 256], pattern: "^[!-~]{1,256}$",
    planes: "envoy", description: "`:authority` of the key-set fetch." },
  { path: "auth.jwt.jwks.path", type: "string", phrase: "path starting with \"/\"", length: [1, 2048], pattern: "^/[!-\"$-~]*$",
    planes: "envoy", description: "`:path` of the key-set fetch, e.g. `/.well-known/jwks.json`." },
  { path: "auth.jwt.jwks.timeoutMs", type: "integer", phrase: "integer 1..60000", range: [1, 60000], default: 2000, planes: "both",
    description: "Timeout of one key-set fetch, in milliseconds. Fetches run beside requests (a request waits only when the set it needs is missing), so the default is longer than an auth call's." },
  { path: "auth.jwt.issuers", type: "array", typeLabel: "array of strings", phrase: "array of 1..16 issuers", length: [1, 16], required: "always", planes: "both",
    description: "Accepted `iss` values, compared exactly. Required: the issuer is what ties a key set to the tokens it may sign." },
  { path: "auth.jwt.issuers[]", type: "string", phrase: "issuer (1..2048 characters, no control characters)", length: [1, 2048], planes: "both", description: "" },
  { path: "auth.jwt.audiences", type: "array", typeLabel: "array of strings", phrase: "array of at most 16 audiences", length: [0, 16], default: [], planes: "both",
    description: "Accepted `aud` values (one is enough), compared exactly; empty = `aud` is not checked (as Envoy's jwt_authn and Istio without `audiences`)." },
  { path: "auth.jwt.audiences[]", type: "string", phrase: "audience (1..2048 characters, no control characters)", length: [1, 2048], planes: "both", description: "" },
  { path: "auth.jwt.algorithms", type: "array", typeLabel: "array of strings", phrase: "array of 1..3 algorithms", length: [1, 3], default: ["ES256", "RS256"], planes: "both",
    description: "The `alg` values accepted (an allow list). `none` and every `HS*` are refused: a key set publishes public keys, and a shared secret read from one would let anyone sign." },
  { path: "auth.jwt.algorithms[]", type: "string", phrase: "one of \"ES256\", \"RS256\", \"PS256\"", choices: ["ES256", "RS256", "PS256"], planes: "both", description: "" },
  { path: "auth.jwt.clockSkewSeconds", type: "number", phrase: "number 0..300", range: [0, 300], default: 60, planes: "both",
    description: "Tolerance when comparing `exp`, `nbf` and `iat` with the plane's clock; 60 as Envoy's jwt_authn `clock_skew_seconds` and Higress's jwt-auth." },
  { path: "auth.jwt.claims", type: "object", phrase: "object", default: {}, planes: "both",
    description: "Which claims make the identity. `auth.identityHeaders` names the headers, `auth.headerMappings` copies more claims (`from` = claim name), `require` reads `scope`, `aud`, groups and claims, as for introspection answers." },
  { path: "auth.jwt.claims.subject", type: "string", phrase: "claim name (1..256 characters, no control characters)", length: [1, 256], default: "sub", planes: "both",
    description: "Claim holding the subject (a string)." },
  { path: "auth.jwt.claims.groups", type: "string", phrase: "claim name (1..256 characters, no control characters)", length: [1, 256], default: "groups", planes: "both",
    description: "Claim holding the groups: an array of strings, or one string of comma- or space-separated names." },
  { path: "auth.jwt.refreshSeconds", type: "integer", phrase: "integer 10..86400", range: [10, 86400], default: 300, planes: "both",
    description: "The key set is fetched again this long after the last good fetch; 300 as Envoy's `remote_jwks.cache_duration`." },
  { path: "auth.jwt.minRefetchSeconds", type: "integer", phrase: "integer 1..3600", range: [1, 3600], default: 30, planes: "both",
    description: "Cooldown: at most one fetch per this many seconds, whatever starts it (an unknown `kid`, a due refresh, a failed one); 30 as the `jose` library's `cooldownDuration`. A flood of tokens with made-up `kid`s costs one fetch per window." },
  { path: "auth.jwt.staleSeconds", type: "integer", phrase: "integer 0..604800", range: [0, 604800], default: 3600, planes: "both",
    description: "When fetches fail, the last good key set keeps verifying until `refreshSeconds` + this after it was fetched; then requests get the auth failure mode (`auth.failure`). An hour rides out an outage of the key publisher, the failure local verification exists to survive." },

  // ------------------------------------------------------------------ canary
  { path: "canary", type: "object", phrase: "object", planes: "both",
    description: "Header-driven canary routing. Present = enabled." },
  { path: "canary.enabled", type: "boolean", phrase: "boolean", default: true, planes: "both", description: "`false` switches canary routing off." },
  { path: "canary.overrideHeader", type: "string", phrase: HEADER_NAME, length: [1, 256], pattern: HEADER_PATTERN, default: "x-canary", planes: "both",
    description: "Request header whose value `always` / `never` forces the choice — honoured only for the verified identities listed below." },
  { path: "canary.overrideGroups", type: "array", typeLabel: "array of strings", phrase: "array of at most 256 group names", length: [0, 256], default: [],
    planes: "both", description: "Groups (from the verified identity) allowed to override, e.g. `[\"testers\"]`." },
  { path: "canary.overrideGroups[]", type: "string", phrase: "group name (1..256 characters, no control characters)", length: [1, 256], planes: "both",
    description: "" },
  { path: "canary.overrideSubjects", type: "array", typeLabel: "array of strings", phrase: "array of at most 256 subjects", length: [0, 256], default: [],
    planes: "both", description: "Subjects allowed to override." },
  { path: "canary.overrideSubjects[]", type: "string", phrase: "subject (1..256 characters, no control characters)", length: [1, 256], planes: "both",
    description: "" },
  { path: "canary.percentage", type: "number", phrase: "number 0..100 with at most two decimals", range: [0, 100], default: 0, planes: "both",
    description: "Share of the others sent to the canary, sticky by a hash of salt + subject (the client IP when anonymous). Hundredths allowed: `12.34` = 1234 of every 10000 buckets. `12.345` is rejected, not rounded." },
  { path: "canary.salt", type: "string", phrase: "string (at most 256 characters)", length: [0, 256], default: "", planes: "both",
    description: "Mixed into the bucket hash; change it to reshuffle who is in the canary." },
  { path: "canary.tagHeader", type: "string", phrase: "header name (token characters, 1..256) or \"\" for none", length: [0, 256],
    pattern: "^[!#$%&'*+.^_`|~0-9A-Za-z-]{0,256}$", default: "x-canary", planes: "both",
    description: "Set upstream to `true` (canary) or `false` (stable). `\"\"` = no tag header (e.g. on Kong when `kong` alone routes)." },
  { path: "canary.baggageKey", type: "string", phrase: "baggage key (empty or token characters, at most 256)", length: [0, 256],
    pattern: "^[!#$%&'*+.^_`|~0-9A-Za-z-]{0,256}$", default: "", planes: "both",
    description: "When set, a W3C `baggage` member `<key>=canary` / `<key>=stable` is added upstream so the choice follows the request east-west (apps must propagate OpenTelemetry context). Empty = no baggage. Kept as written (baggage keys are case-sensitive)." },
  { path: "canary.kong", type: "object", phrase: "object", default: {}, planes: "kong",
    description: "Where Kong sends canary traffic. Give `upstream` or `target`, not both; give neither to only tag the request." },
  { path: "canary.kong.upstream", type: "string", phrase: "Kong upstream name (1..256 visible ASCII characters)", length: [1, 256], pattern: "^[!-~]{1,256}$",
    planes: "kong", description: "A Kong Upstream entity (`kong.service.setUpstream`)." },
  { path: "canary.kong.target", type: "string", phrase: "host:port (port 1..65535)", length: [3, 259], pattern: "^[A-Za-z0-9._-]{1,253}:[0-9]{1,5}$",
    planes: "kong", description: "A host (letters, digits, `-`, `.`, `_`; 1..253 characters; no IPv6 literal) and port (`kong.service.setTarget`)." },
  { path: "canary.shadow", type: "boolean", phrase: "boolean", default: false, planes: "both",
    description: "Shadow mode: the variant is chosen as if enforcing and recorded (`meshgate_shadow_decisions_total{section=\"canary\"}`), but the request is never re-routed, tagged or given baggage, and a client's own tag or override header is not stripped. A route's `canary` may set it too ([DECISIONS.md §10](DECISIONS.md#10-shadow-mode))." },

  // ------------------------------------------------------------------ rateLimit
  { path: "rateLimit", type: "object", phrase: "object", planes: "both", description: "Rate limiting (GCRA). Present = enabled." },
  { path: "rateLimit.enabled", type: "boolean", phrase: "boolean", default: true, planes: "both", description: "`false` switches rate limiting off." },
  { path: "rateLimit.key", type: "string", phrase: "\"subject\", \"ip\" or \"header:<name>\"", pattern: "^(subject|ip|header:[!#$%&'*+.^_`|~0-9A-Za-z-]{1,256})$",
    default: "subject", planes: "both",
    description: "What a limit counts: the verified subject (requests without one are counted by client IP), the client IP, or a request header (`header:x-api-key`; the name is a header name, lowercased; requests without it are counted by client IP). `ip` and `header:` limits run before auth; `subject` limits run after it. A `header:` value is the client's choice (a new value is a new bucket): pair it with `preAuthIp` to bound what one client costs the auth service." },
  { path: "rateLimit.rate", type: "integer", phrase: "integer 1..1000000", range: [1, 1000000], required: "whenEnabled", orInstead: "limits", planes: "both",
    description: "Requests per period (one window; `limits` for several)." },
  { path: "rateLimit.periodSeconds", type: "integer", phrase: "integer 1..86400", range: [1, 86400], default: 1, kongDefault: false, planes: "both",
    description: "Length of the period." },
  { path: "rateLimit.burst", type: "integer", phrase: "integer >= 0", phraseNote: " (wrong type, fraction or negative); `integer <= 1000000` (too large)",
    range: [0, 1000000], phraseAbove: "integer <= 1000000", default: 0, kongDefault: false, planes: "both",
    description: "Extra requests allowed at once; capacity is `burst + 1`." },
  { path: "rateLimit.policy", type: "string", phrase: "one of \"local\", \"redis\"", choices: ["local", "redis"], default: "local", planes: "both",
    description: "`local`: state in the plane — one Node process serves every Kong worker; on Envoy the state is proxy-wasm shared data, shared by the workers of one proxy (a limit per replica). `redis`: one limit across all Kong nodes (atomic GCRA script). **Kong only**: the Envoy plane treats `redis` as `local`." },
  { path: "rateLimit.faultTolerant", type: "boolean", phrase: "boolean", default: true, planes: "kong",
    description: "With `redis`: when Redis fails, fall back to the local limiter (and log it) instead of failing the request." },
  { path: "rateLimit.redis", type: "object", phrase: "object", default: {}, planes: "kong",
    description: "Redis connection for `policy: \"redis\"`; ignored otherwise." },
  { path: "rateLimit.redis.host", type: "string", phrase: "host (1..256 visible ASCII characters)", length: [1, 256], pattern: "^[!-~]{1,256}$",
    default: "127.0.0.1", planes: "kong", description: "Redis host." },
  { path: "rateLimit.redis.port", type: "integer", phrase: "integer 1..65535", range: [1, 65535], default: 6379, planes: "kong", description: "Redis port." },
  { path: "rateLimit.redis.database", type: "integer", phrase: "integer 0..15", range: [0, 15], default: 0, planes: "kong", description: "Redis database number." },
  { path: "rateLimit.redis.username", type: "string", phrase: "string (at most 256 characters)", length: [0, 256], default: "", secret: true, planes: "kong",
    description: "ACL user; empty = default user." },
  { path: "rateLimit.redis.password", type: "string", phrase: "string (at most 1024 characters)", length: [0, 1024], default: "", secret: true, planes: "kong",
    description: "**A secret**: see [Secrets](#secrets). Empty = no AUTH." },
  { path: "rateLimit.redis.timeoutMs", type: "integer", phrase: "integer 1..5000", range: [1, 5000], default: 50, planes: "kong",
    description: "Per command; past it the request counts as a Redis failure." },
  { path: "rateLimit.redis.prefix", type: "string", phrase: "string (at most 256 characters)", length: [0, 256], default: "meshgate:rl:", planes: "kong",
    description: "Prefix of every key meshgate writes." },
  { path: "rateLimit.headers", type: "string", phrase: "one of \"ietf\", \"legacy\", \"none\"", choices: ["ietf", "legacy", "none"], default: "ietf", planes: "both",
    description: "`ietf`: the current IETF draft, `RateLimit-Policy: \"<name>\";q=<rate>;w=<period>` and `RateLimit: \"<name>\";r=<remaining>;t=<seconds>`. `legacy`: `X-RateLimit-Limit/Remaining/Reset` plus the older `RateLimit-Limit/Remaining/Reset` trio. `none`: only `Retry-After` on rejections." },
  { path: "rateLimit.name", type: "string", phrase: "structured-field token (1..64 characters)", length: [1, 64], pattern: SF_TOKEN_PATTERN,
    default: "default", planes: "both", description: "Policy name in the `ietf` headers: a letter or `*`, then token characters, `:` or `/`." },
  { path: "rateLimit.status", type: "integer", phrase: "integer 400..599", range: [400, 599], default: 429, planes: "both", description: "Status of a rejection." },
  { path: "rateLimit.preAuthIp", type: "object", phrase: "object", planes: "both",
    description: "A second limit by client IP, checked before the token is read, whatever `key` is (needs auth enabled). A `header:` value or a bad token is the client's to change at will; its address is not — without this, a client rotating `header:` values gets one auth-service call per bad token. `npx meshgate validate` warns when `key` is `header:` and this is absent. Its rejections carry the RateLimit headers of a policy named `<name>-ip`." },
  { path: "rateLimit.preAuthIp.rate", type: "integer", phrase: "integer 1..1000000", range: [1, 1000000], required: "always", planes: "both",
    description: "Requests per period per client IP." },
  { path: "rateLimit.preAuthIp.periodSeconds", type: "integer", phrase: "integer 1..86400", range: [1, 86400], default: 1, planes: "both",
    description: "Length of the period." },
  { path: "rateLimit.preAuthIp.burst", type: "integer", phrase: "integer 0..1000000", range: [0, 1000000], default: 0, planes: "both",
    description: "Extra requests allowed at once." },
  { path: "rateLimit.limits", type: "array", phrase: "array of 1..8 limits", length: [1, 8], excludes: ["rate", "periodSeconds", "burst"],
    phraseNote: "; not with `rate`/`periodSeconds`/`burst` (`expected \"limits\" or \"rate\" (+ \"periodSeconds\", \"burst\"), got both`)", planes: "both",
    description: "Several windows instead of `rate`/`periodSeconds`/`burst`, all enforced (e.g. 20/s and 1000/h, as Kong's rate-limiting takes second/minute/hour/day together): a request consumes from every window only when all of them allow it. `RateLimit-Policy` lists every window, `RateLimit` the binding one ([DECISIONS.md §9](DECISIONS.md#9-routes-requirements-several-windows-policy-v2))." },
  { path: "rateLimit.limits[]", type: "object", phrase: "object", planes: "both", description: "One window." },
  { path: "rateLimit.limits[].rate", type: "integer", phrase: "integer 1..1000000", range: [1, 1000000], required: "always", planes: "both",
    description: "Requests per period." },
  { path: "rateLimit.limits[].periodSeconds", type: "integer", phrase: "integer 1..86400", range: [1, 86400], default: 1, planes: "both",
    description: "Length of the period." },
  { path: "rateLimit.limits[].burst", type: "integer", phrase: "integer 0..1000000", range: [0, 1000000], default: 0, planes: "both",
    description: "Extra requests allowed at once." },
  { path: "rateLimit.limits[].name", type: "string", phrase: "structured-field token (1..64 characters)", phraseNote: ", unique", length: [1, 64],
    pattern: SF_TOKEN_PATTERN, planes: "both",
    description: "The window's name in the headers and the problem body. Left out: `<name>-second`, `-minute`, `-hour`, `-day` or `-<n>s` after its period." },
  { path: "rateLimit.shadow", type: "boolean", phrase: "boolean", default: false, planes: "both",
    description: "Shadow mode: the limits (this one and `preAuthIp`) run and consume their state exactly as if enforcing, and every refusal they would make is recorded (`would_status` = `status`), but no request is refused and no RateLimit, `Retry-After` or fallback-marker header is added. A route's `rateLimit` may set it too ([DECISIONS.md §10](DECISIONS.md#10-shadow-mode))." },

  // ------------------------------------------------------------------ log
  { path: "log", type: "object", phrase: "object", planes: "both", description: "Decision logs (on for errors when left out)." },
  { path: "log.decisions", type: "string", phrase: "one of \"off\", \"errors\", \"all\"", choices: ["off", "errors", "all"], default: "errors", planes: "both",
    description: "`errors`: every decision except a plain allow from a fresh cache hit (denies, errors, misses, stale serves, limiter fallbacks, anonymous requests). `all`: plain hits too, sampled by `sampleRate`. `off`: none." },
  { path: "log.sampleRate", type: "number", phrase: "number 0..1 with at most four decimals", range: [0, 1], default: 1, planes: "both",
    description: "With `all`: the share of plain cache-hit allows logged, chosen by a hash of the request id (the same request is sampled the same way everywhere)." },
  { path: "log.level", type: "string", phrase: "one of \"debug\", \"info\", \"notice\", \"warn\"", choices: ["debug", "info", "notice", "warn"], default: "info",
    planes: "envoy", description: "Log level of the lines. On Kong every line is at INFO, the level Kong gives the plugin server's output." },
  { path: "log.includeSubject", type: "boolean", phrase: "boolean", default: false, planes: "both",
    description: "The verified subject is personal data: it appears in the line only when this is `true`. Tokens and paths never appear." },

  // ------------------------------------------------------------------ require
  { path: "require", type: "object", phrase: "object", planes: "both",
    description: "What an authenticated request must hold (every route's default; a route's `require` replaces it). Unmet: 403 `insufficient_scope`." },
  { path: "require.scopes", type: "array", typeLabel: "array of strings", phrase: "array of at most 64 names", length: [0, 64], default: [], planes: "both",
    description: "Every one of these scopes." },
  { path: "require.scopes[]", type: "string", phrase: NAME_ITEM, length: [1, 256], planes: "both", description: "" },
  { path: "require.anyScopes", type: "array", typeLabel: "array of strings", phrase: "array of at most 64 names", length: [0, 64], default: [], planes: "both",
    description: "At least one of these scopes." },
  { path: "require.anyScopes[]", type: "string", phrase: NAME_ITEM, length: [1, 256], planes: "both", description: "" },
  { path: "require.groups", type: "array", typeLabel: "array of strings", phrase: "array of at most 64 names", length: [0, 64], default: [], planes: "both",
    description: "At least one of these groups." },
  { path: "require.groups[]", type: "string", phrase: NAME_ITEM, length: [1, 256], planes: "both", description: "" },
  { path: "require.audiences", type: "array", typeLabel: "array of strings", phrase: "array of at most 64 names", length: [0, 64], default: [], planes: "both",
    description: "At least one of these audiences (`aud`)." },
  { path: "require.audiences[]", type: "string", phrase: NAME_ITEM, length: [1, 256], planes: "both", description: "" },
  { path: "require.claims", type: "map", phrase: "object of at most 32 claims", length: [0, 32], default: {}, planes: "both",
    description: "`{ claim: value | [values] }`: the claim holds one of the values (compared as text; a list claim holds each item). Kong's schema takes lists only (`tenant: [acme]`)." },
  { path: "require.claims.*", type: "scalarOrList", phrase: "string, number, boolean or array of 1..64 of them", length: [1, 64], planes: "both",
    description: "The accepted values of the claim named by the key (1..256 characters without control characters); numbers are integers." },

  // ------------------------------------------------------------------ routes
  // No Kong default: a section left out stays out of the config Kong hands the plugin.
  { path: "routes", type: "array", phrase: "array of at most 64 routes", length: [0, 64], default: [], kongDefault: false, planes: "both",
    description: "Per-route rules, in order: the first route that matches a request applies; the top-level sections are the default (route `default`)." },
  { path: "routes[]", type: "object", phrase: "object", planes: "both", description: "One route." },
  { path: "routes[].name", type: "string", phrase: "route name (1..64 of a-z, 0-9, \"_\", \"-\"; not \"default\")", phraseNote: ", unique",
    length: [1, 64], pattern: "^(?!default$)[a-z0-9_-]{1,64}$", required: "always", planes: "both",
    description: "Names the route in decision logs and metrics." },
  { path: "routes[].match", type: "object", phrase: "object", required: "always", planes: "both",
    description: "Every part given must hold; `{}` matches every request." },
  { path: "routes[].match.paths", type: "array", typeLabel: "array of strings", phrase: "array of at most 256 path rules", length: [0, 256], default: [],
    planes: "both",
    description: "Path rules as in `anonymousPaths`, matched against the canonical path; when any route matches on paths, an ambiguous path is refused with 400. Empty: every path." },
  { path: "routes[].match.paths[]", type: "string", phrase: PATH_RULE, length: [1, 1024], pattern: PATH_RULE_PATTERN, planes: "both",
    description: "See [Path rules](#path-rules)." },
  { path: "routes[].match.methods", type: "array", typeLabel: "array of strings", phrase: "array of at most 16 methods", length: [0, 16], default: [],
    planes: "both", description: "Request methods, compared upper-cased. Empty: every method." },
  { path: "routes[].match.methods[]", type: "string", phrase: "method (token characters, 1..32)", length: [1, 32], pattern: "^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,32}$",
    planes: "both", description: "" },
  { path: "routes[].match.headers", type: "array", phrase: "array of at most 16 header matches", length: [0, 16], default: [], planes: "both",
    description: "Header matches, all of which must hold." },
  { path: "routes[].match.headers[]", type: "object", phrase: "object", planes: "both",
    description: "`{ name, value? }`: the header's first value equals `value` exactly or, without `value`, the header is present." },
  { path: "routes[].match.headers[].name", type: "string", phrase: HEADER_NAME, length: [1, 256], pattern: HEADER_PATTERN, required: "always", planes: "both",
    description: "Request header, compared case-insensitively." },
  { path: "routes[].match.headers[].value", type: "string", phrase: "exact value (1..1024 visible ASCII characters)", length: [1, 1024], pattern: "^[!-~]{1,1024}$",
    planes: "both", description: "Value the header's first value must equal, byte for byte." },
  { path: "routes[].anonymous", type: "boolean", phrase: "boolean", phraseNote: "; no `require` with it", default: false, planes: "both",
    description: "Serve without a token (only when every reading of the path matches)." },
  { path: "routes[].auth", type: "object", phrase: "object", planes: "both",
    description: "Auth on this route: only `shadow` (the auth service, tokens and cache are the top-level `auth`'s, refused here)." },
  { path: "routes[].auth.shadow", type: "boolean", phrase: "boolean", inherits: "auth.shadow", planes: "both",
    description: "Shadow or enforce auth on this route alone; left out, the top-level `auth.shadow` applies. Client identity headers stay stripped on every request while the top level or any route enforces auth ([DECISIONS.md §10](DECISIONS.md#10-shadow-mode))." },
  { path: "routes[].failure", type: "object", phrase: "object", sameAs: "auth.failure", planes: "both",
    description: "Auth-failure mode on this route: the members named override `auth.failure`." },
  { path: "routes[].require", type: "object", phrase: "object", sameAs: "require", planes: "both",
    description: "Replaces the top-level `require` on this route." },
  { path: "routes[].rateLimit", type: "object", phrase: "object", sameAs: "rateLimit", except: ["policy", "faultTolerant", "redis", "preAuthIp"], planes: "both",
    description: "Own limits, in their own key namespace; the members named override the top-level `rateLimit` (the windows as a whole)." },
  { path: "routes[].canary", type: "object", phrase: "object", sameAs: "canary", except: ["kong"], planes: "both",
    description: "Own percentage, or `enabled: false` for none. On Kong the canary target stays the top-level `canary.kong` (set it there, with `enabled: false` when only routes use canary)." },
];

/** Rows directly below `parent` ("" = the sections), one per path (variants collapsed to their first row). */
export function childFields(parent: string): PolicyField[] {
  const prefix = parent === "" ? "" : `${parent}.`;
  const seen = new Set<string>();
  return POLICY_FIELDS.filter((field) => {
    if (!field.path.startsWith(prefix) || field.path === parent) return false;
    const rest = field.path.slice(prefix.length);
    if (rest.includes(".") || rest.includes("[]") || rest === "*" || seen.has(field.path)) return false;
    seen.add(field.path);
    return true;
  });
}

/** The members an object may have: its own rows, or for `sameAs` the other section's rows minus `except`. */
export function memberFields(object: PolicyField): PolicyField[] {
  if (object.sameAs === undefined) return childFields(object.path);
  const except = object.except ?? [];
  return childFields(object.sameAs).filter((field) => !except.includes(fieldName(field)));
}

/** The value row of a map field (`require.claims.*`: every member's value). */
export function valueField(map: PolicyField): PolicyField {
  const row = POLICY_FIELDS.find((field) => field.path === `${map.path}.*`);
  if (row === undefined) throw new Error(`${map.path}: a map row needs a value row ${map.path}.*`);
  return row;
}

/** The item row of an array field (`auth.forwardHeaders[]`), if it has one. */
export function itemField(array: PolicyField): PolicyField | undefined {
  return POLICY_FIELDS.find((field) => field.path === `${array.path}[]`);
}

/** Last segment of a path: `auth.cache.maxEntries` → `maxEntries`. */
export function fieldName(field: PolicyField): string {
  return field.path.slice(field.path.lastIndexOf(".") + 1);
}
