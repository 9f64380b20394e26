// The policy document as the core uses it: one class per section, every field with its default.
// `parsePolicy` (policy-parse.ts) fills these from JSON and reports every invalid field by path.
// Every scalar default below is read from policy-facts.generated.ts, which `npm run gen:fields` writes from the
// field table (policy-fields.ts); test/core/policy-fields.test.ts still checks the parsed defaults against the table.

import {
  AUTH_CACHE_MAX_ENTRIES_DEFAULT, AUTH_CACHE_NEGATIVE_TTL_SECONDS_DEFAULT, AUTH_CACHE_STALE_IF_ERROR_SECONDS_DEFAULT,
  AUTH_CACHE_TTL_SECONDS_DEFAULT, AUTH_CLOCK_SKEW_SECONDS_DEFAULT, AUTH_FAILURE_DEGRADED_HEADER_DEFAULT,
  AUTH_FAILURE_STATUS_DEFAULT, AUTH_IDENTITY_HEADERS_GROUPS_DEFAULT, AUTH_IDENTITY_HEADERS_SUBJECT_DEFAULT,
  AUTH_INTROSPECTION_AUTHORIZATION_DEFAULT, AUTH_MAX_TOKEN_LENGTH_DEFAULT, AUTH_REALM_DEFAULT, AUTH_SHADOW_DEFAULT,
  AUTH_TIMEOUT_MS_DEFAULT, AUTH_TOKEN_SOURCES_ITEM_NAME_HEADER_DEFAULT,
  AUTH_TOKEN_SOURCES_ITEM_SCHEME_HEADER_ONLY_DEFAULT, CANARY_BAGGAGE_KEY_DEFAULT, CANARY_OVERRIDE_HEADER_DEFAULT,
  CANARY_PERCENTAGE_DEFAULT, CANARY_SALT_DEFAULT, CANARY_SHADOW_DEFAULT, CANARY_TAG_HEADER_DEFAULT,
  LOG_INCLUDE_SUBJECT_DEFAULT, LOG_LEVEL_DEFAULT, LOG_SAMPLE_RATE_DEFAULT, RATE_LIMIT_BURST_DEFAULT,
  RATE_LIMIT_FAULT_TOLERANT_DEFAULT, RATE_LIMIT_LIMITS_ITEM_BURST_DEFAULT,
  RATE_LIMIT_LIMITS_ITEM_PERIOD_SECONDS_DEFAULT, RATE_LIMIT_NAME_DEFAULT, RATE_LIMIT_PERIOD_SECONDS_DEFAULT,
  RATE_LIMIT_PRE_AUTH_IP_BURST_DEFAULT, RATE_LIMIT_PRE_AUTH_IP_PERIOD_SECONDS_DEFAULT,
  RATE_LIMIT_REDIS_DATABASE_DEFAULT, RATE_LIMIT_REDIS_HOST_DEFAULT, RATE_LIMIT_REDIS_PASSWORD_DEFAULT,
  RATE_LIMIT_REDIS_PORT_DEFAULT, RATE_LIMIT_REDIS_PREFIX_DEFAULT, RATE_LIMIT_REDIS_TIMEOUT_MS_DEFAULT,
  RATE_LIMIT_REDIS_USERNAME_DEFAULT, RATE_LIMIT_SHADOW_DEFAULT, RATE_LIMIT_STATUS_DEFAULT,
  AUTH_JWT_JWKS_TIMEOUT_MS_DEFAULT, AUTH_JWT_CLOCK_SKEW_SECONDS_DEFAULT, AUTH_JWT_CLAIMS_SUBJECT_DEFAULT,
  AUTH_JWT_CLAIMS_GROUPS_DEFAULT, AUTH_JWT_REFRESH_SECONDS_DEFAULT, AUTH_JWT_MIN_REFETCH_SECONDS_DEFAULT,
  AUTH_JWT_STALE_SECONDS_DEFAULT,
} from "./policy-facts.generated";
import { Requirements, Route } from "./policy-routes";

export const enum AuthMode { Introspection = 0, Forward = 1, Jwt = 2 }
export const enum TokenSourceKind { Header = 0, Cookie = 1, Query = 2 }
export const enum FailMode { Closed = 0, Open = 1 }
export const enum LimitKeyKind { Subject = 0, Ip = 1, Header = 2 }
export const enum LimitStore { Local = 0, Redis = 1 }
export const enum LimitHeaders { Ietf = 0, Legacy = 1, None = 2 }

/** Where the auth service is. Kong uses `url`; Envoy uses `cluster` + `authority` + `path`. */
export class AuthServiceAddress {
  url: string = "";
  cluster: string = "";
  authority: string = "";
  path: string = "";
}

export class TokenSource {
  kind: i32 = TokenSourceKind.Header;
  /** Header name (lowercase), cookie name or query parameter name. */
  name: string = AUTH_TOKEN_SOURCES_ITEM_NAME_HEADER_DEFAULT();
  /** Auth scheme expected in the header value (case-insensitive); empty = the whole value is the token. */
  scheme: string = AUTH_TOKEN_SOURCES_ITEM_SCHEME_HEADER_ONLY_DEFAULT();
}

export class DecisionCacheSettings {
  maxEntries: i32 = AUTH_CACHE_MAX_ENTRIES_DEFAULT;
  ttlSeconds: f64 = AUTH_CACHE_TTL_SECONDS_DEFAULT;
  negativeTtlSeconds: f64 = AUTH_CACHE_NEGATIVE_TTL_SECONDS_DEFAULT;
  staleIfErrorSeconds: f64 = AUTH_CACHE_STALE_IF_ERROR_SECONDS_DEFAULT;
}

/** Legacy auth services that always answer 200: allow only when the JSON pointer holds `equals`. */
export class BodyRule {
  pointer: string = "";
  /** Expected value, compared as JSON text of a scalar (e.g. `true`, `"ok"`, `1`). */
  equals: string = "";
}

export class FailureSettings {
  mode: i32 = FailMode.Closed;
  status: i32 = AUTH_FAILURE_STATUS_DEFAULT;
  /** Paths that fail open even when `mode` is closed (exact, or prefix when ending in `*`). */
  openPaths: Array<string> = new Array<string>();
  degradedHeader: string = AUTH_FAILURE_DEGRADED_HEADER_DEFAULT();
}

export class HeaderMapping {
  /** For introspection: claim name; for forward mode: auth-response header name (lowercase). */
  from: string = "";
  /** Upstream request header (lowercase). */
  to: string = "";
}

/** `auth.jwt`: local verification against a published key set (DECISIONS.md §11). */
export class JwtSettings {
  /** Where the key set is: Kong uses `url`; Envoy uses `cluster` + `authority` + `path`. */
  jwks: AuthServiceAddress = new AuthServiceAddress();
  jwksTimeoutMs: i32 = AUTH_JWT_JWKS_TIMEOUT_MS_DEFAULT;
  issuers: Array<string> = new Array<string>();
  audiences: Array<string> = new Array<string>();
  algorithms: Array<string> = ["ES256", "RS256"];
  clockSkewSeconds: f64 = AUTH_JWT_CLOCK_SKEW_SECONDS_DEFAULT;
  subjectClaim: string = AUTH_JWT_CLAIMS_SUBJECT_DEFAULT();
  groupsClaim: string = AUTH_JWT_CLAIMS_GROUPS_DEFAULT();
  refreshSeconds: i32 = AUTH_JWT_REFRESH_SECONDS_DEFAULT;
  minRefetchSeconds: i32 = AUTH_JWT_MIN_REFETCH_SECONDS_DEFAULT;
  staleSeconds: i32 = AUTH_JWT_STALE_SECONDS_DEFAULT;
}

export class AuthPolicy {
  enabled: bool = false;
  mode: i32 = AuthMode.Introspection;
  service: AuthServiceAddress = new AuthServiceAddress();
  timeoutMs: i32 = AUTH_TIMEOUT_MS_DEFAULT;
  tokenSources: Array<TokenSource> = defaultTokenSources();
  maxTokenLength: i32 = AUTH_MAX_TOKEN_LENGTH_DEFAULT;
  /** Request headers copied onto the auth call (lowercase names). */
  forwardHeaders: Array<string> = new Array<string>();
  /** Value for the Authorization header of introspection calls (client authentication), optional. */
  introspectionAuthorization: string = AUTH_INTROSPECTION_AUTHORIZATION_DEFAULT();
  subjectHeader: string = AUTH_IDENTITY_HEADERS_SUBJECT_DEFAULT();
  groupsHeader: string = AUTH_IDENTITY_HEADERS_GROUPS_DEFAULT();
  /** Extra identity: claims (introspection) or auth-response headers (forward) copied upstream. */
  headerMappings: Array<HeaderMapping> = new Array<HeaderMapping>();
  cache: DecisionCacheSettings = new DecisionCacheSettings();
  bodyRule: BodyRule | null = null;
  failure: FailureSettings = new FailureSettings();
  /** Paths served without a token (exact, or prefix when ending in `*`). */
  anonymousPaths: Array<string> = new Array<string>();
  realm: string = AUTH_REALM_DEFAULT();
  clockSkewSeconds: f64 = AUTH_CLOCK_SKEW_SECONDS_DEFAULT;
  /** Forward mode: the auth-response header holding each claim a requirement reads (claim name → header). */
  claimHeaders: Array<HeaderMapping> = new Array<HeaderMapping>();
  /** Derived, not parsed: every claim a requirement of the policy reads, so decisions (and the cache) keep it. */
  neededClaims: Array<string> = new Array<string>();
  /** Derived: whether any requirement exists (decisions then keep scopes and audiences). */
  keepsAuthorization: bool = false;
  /** Shadow: decide (cache, auth calls) and record, never enforce (DECISIONS.md §10). */
  shadow: bool = AUTH_SHADOW_DEFAULT;
  /** `jwt` mode's settings (the parser requires them in that mode and refuses them in the others). */
  jwt: JwtSettings = new JwtSettings();
}

export class KongCanaryTarget {
  /** A Kong Upstream entity name for kong.service.setUpstream, or empty. */
  upstream: string = "";
  /** host and port for kong.service.setTarget, or empty host. */
  host: string = "";
  port: i32 = 0;
}

export class CanaryPolicy {
  enabled: bool = false;
  overrideHeader: string = CANARY_OVERRIDE_HEADER_DEFAULT();
  overrideGroups: Array<string> = new Array<string>();
  overrideSubjects: Array<string> = new Array<string>();
  /** Share of traffic on the canary in hundredths of a percent (0..10000). */
  basisPoints: i32 = i32(CANARY_PERCENTAGE_DEFAULT * 100);
  salt: string = CANARY_SALT_DEFAULT();
  tagHeader: string = CANARY_TAG_HEADER_DEFAULT();
  /** W3C baggage member key set to `canary`/`stable`; empty = no baggage. */
  baggageKey: string = CANARY_BAGGAGE_KEY_DEFAULT();
  kong: KongCanaryTarget = new KongCanaryTarget();
  /** Shadow: choose the variant and record it, never re-route or tag (DECISIONS.md §10). */
  shadow: bool = CANARY_SHADOW_DEFAULT;
}

export class RedisSettings {
  host: string = RATE_LIMIT_REDIS_HOST_DEFAULT();
  port: i32 = RATE_LIMIT_REDIS_PORT_DEFAULT;
  database: i32 = RATE_LIMIT_REDIS_DATABASE_DEFAULT;
  username: string = RATE_LIMIT_REDIS_USERNAME_DEFAULT();
  password: string = RATE_LIMIT_REDIS_PASSWORD_DEFAULT();
  timeoutMs: i32 = RATE_LIMIT_REDIS_TIMEOUT_MS_DEFAULT;
  prefix: string = RATE_LIMIT_REDIS_PREFIX_DEFAULT();
}

/** A second GCRA limit keyed by the client IP, applied before the token is looked at: it bounds what one address
 *  can cost the auth service whatever the main key is (a `header:` value or a bad token is the client's choice). */
export class PreAuthIpLimit {
  /** 0 = no pre-auth IP limit. */
  rate: i32 = 0;
  periodSeconds: i32 = RATE_LIMIT_PRE_AUTH_IP_PERIOD_SECONDS_DEFAULT;
  burst: i32 = RATE_LIMIT_PRE_AUTH_IP_BURST_DEFAULT;
}

/** One GCRA window of `rateLimit.limits` (policy-routes.ts). */
export class LimitWindow {
  rate: i32 = 0;
  periodSeconds: i32 = RATE_LIMIT_LIMITS_ITEM_PERIOD_SECONDS_DEFAULT;
  burst: i32 = RATE_LIMIT_LIMITS_ITEM_BURST_DEFAULT;
  /** Its name in RateLimit-Policy / RateLimit; "" = derived from the policy name (ratelimit-headers.ts). */
  name: string = "";
}

export class RateLimitPolicy {
  enabled: bool = false;
  keyKind: i32 = LimitKeyKind.Subject;
  /** Header name (lowercase) when keyKind is Header. */
  keyHeader: string = "";
  rate: i32 = 0;
  periodSeconds: i32 = RATE_LIMIT_PERIOD_SECONDS_DEFAULT;
  burst: i32 = RATE_LIMIT_BURST_DEFAULT;
  store: i32 = LimitStore.Local;
  faultTolerant: bool = RATE_LIMIT_FAULT_TOLERANT_DEFAULT;
  redis: RedisSettings = new RedisSettings();
  headers: i32 = LimitHeaders.Ietf;
  /** Policy name used in RateLimit-Policy / RateLimit (an sf-token/string). */
  name: string = RATE_LIMIT_NAME_DEFAULT();
  status: i32 = RATE_LIMIT_STATUS_DEFAULT;
  preAuthIp: PreAuthIpLimit = new PreAuthIpLimit();
  /** Every window enforced (`limits`, or the one `rate`/`periodSeconds`/`burst` window); rate, periodSeconds and
   *  burst above mirror the first one. Filled by the parser. */
  limits: Array<LimitWindow> = new Array<LimitWindow>();
  /** Shadow: consume GCRA state as if enforcing and record, never refuse or add headers (DECISIONS.md §10). */
  shadow: bool = RATE_LIMIT_SHADOW_DEFAULT;
}

export const enum DecisionLogMode { Off = 0, Errors = 1, All = 2 }

/** Decision logs: one JSON line per decision, written by each plane's own logger. */
export class LogPolicy {
  /** Errors: every decision except a plain allow from a fresh cache hit. All: those too, sampled. */
  decisions: i32 = DecisionLogMode.Errors;
  /** With All: share of plain cache-hit allows logged, in hundredths of a percent (0..10000). */
  sampleBasisPoints: i32 = i32(LOG_SAMPLE_RATE_DEFAULT * 10000);
  /** Level the lines are written at: "debug", "info", "notice" or "warn". */
  level: string = LOG_LEVEL_DEFAULT();
  /** The verified subject is personal data: only in the line when this is true. */
  includeSubject: bool = LOG_INCLUDE_SUBJECT_DEFAULT;
}

export class Policy {
  auth: AuthPolicy = new AuthPolicy();
  canary: CanaryPolicy = new CanaryPolicy();
  rateLimit: RateLimitPolicy = new RateLimitPolicy();
  log: LogPolicy = new LogPolicy();
  /** Authorization requirements after authentication (the default for routes; empty = any valid token). */
  require: Requirements = new Requirements();
  /** Ordered; the first route that matches a request applies, else the sections above (route "default"). */
  routes: Array<Route> = new Array<Route>();
}

function defaultTokenSources(): Array<TokenSource> {
  const sources = new Array<TokenSource>();
  sources.push(new TokenSource());
  return sources;
}
