// Policy v2 fields (issue 13): `routes`, `require`, `rateLimit.limits`, `auth.claimHeaders` — their classes and
// parsers, kept apart from policy-parse.ts so they can move into the field table as a block. A route's sections
// (`rateLimit`, `canary`, `failure`) are parsed by the top-level sections' own parsers, over the top-level section
// with the route's members laid on top: whatever a section can say, a route can override. A route's `auth` says
// only `shadow`: the auth service, tokens and cache are one per plugin instance.
import { JsonValue, stringifyJson } from "./json";
import {
  AUTH_CLAIM_HEADERS_MAX_LENGTH, AUTH_CLAIM_HEADERS_PHRASE, AUTH_CLAIM_HEADERS_VALUE_PHRASE,
  RATE_LIMIT_LIMITS_ITEM_BURST_MAX, RATE_LIMIT_LIMITS_ITEM_BURST_MIN, RATE_LIMIT_LIMITS_ITEM_NAME_PHRASE,
  RATE_LIMIT_LIMITS_ITEM_PERIOD_SECONDS_MAX, RATE_LIMIT_LIMITS_ITEM_PERIOD_SECONDS_MIN,
  RATE_LIMIT_LIMITS_ITEM_RATE_MAX, RATE_LIMIT_LIMITS_ITEM_RATE_MIN, RATE_LIMIT_LIMITS_ITEM_RATE_PHRASE,
  RATE_LIMIT_LIMITS_MAX_LENGTH, RATE_LIMIT_LIMITS_MIN_LENGTH, RATE_LIMIT_LIMITS_PHRASE,
  REQUIRE_ANY_SCOPES_ITEM_PHRASE, REQUIRE_ANY_SCOPES_MAX_LENGTH, REQUIRE_ANY_SCOPES_PHRASE,
  REQUIRE_AUDIENCES_ITEM_PHRASE, REQUIRE_AUDIENCES_MAX_LENGTH, REQUIRE_AUDIENCES_PHRASE, REQUIRE_CLAIMS_MAX_LENGTH,
  REQUIRE_CLAIMS_PHRASE, REQUIRE_CLAIMS_VALUE_MAX_LENGTH, REQUIRE_CLAIMS_VALUE_MIN_LENGTH,
  REQUIRE_CLAIMS_VALUE_PHRASE, REQUIRE_GROUPS_ITEM_PHRASE, REQUIRE_GROUPS_MAX_LENGTH, REQUIRE_GROUPS_PHRASE,
  REQUIRE_SCOPES_ITEM_PHRASE, REQUIRE_SCOPES_MAX_LENGTH, REQUIRE_SCOPES_PHRASE, ROUTES_ITEM_ANONYMOUS_DEFAULT,
  ROUTES_ITEM_MATCH_HEADERS_ITEM_NAME_PHRASE, ROUTES_ITEM_MATCH_HEADERS_ITEM_VALUE_MAX_LENGTH,
  ROUTES_ITEM_MATCH_HEADERS_ITEM_VALUE_MIN_LENGTH, ROUTES_ITEM_MATCH_HEADERS_ITEM_VALUE_PHRASE,
  ROUTES_ITEM_MATCH_HEADERS_MAX_LENGTH, ROUTES_ITEM_MATCH_HEADERS_PHRASE, ROUTES_ITEM_MATCH_METHODS_ITEM_MAX_LENGTH,
  ROUTES_ITEM_MATCH_METHODS_ITEM_MIN_LENGTH, ROUTES_ITEM_MATCH_METHODS_ITEM_PHRASE,
  ROUTES_ITEM_MATCH_METHODS_MAX_LENGTH, ROUTES_ITEM_MATCH_METHODS_PHRASE, ROUTES_ITEM_MATCH_PATHS_ITEM_PHRASE,
  ROUTES_ITEM_MATCH_PATHS_MAX_LENGTH, ROUTES_ITEM_MATCH_PATHS_PHRASE, ROUTES_ITEM_NAME_MAX_LENGTH,
  ROUTES_ITEM_NAME_MIN_LENGTH, ROUTES_ITEM_NAME_PHRASE, ROUTES_MAX_LENGTH, ROUTES_PHRASE,
  REQUIRE_MEMBERS, ROUTES_ITEM_AUTH_MEMBERS, ROUTES_ITEM_CANARY_EXCEPT, ROUTES_ITEM_CANARY_MEMBERS, ROUTES_ITEM_MATCH_HEADERS_ITEM_MEMBERS,
  AUTH_CLAIM_HEADERS_KEY_MAX_LENGTH, AUTH_CLAIM_HEADERS_KEY_MIN_LENGTH, AUTH_CLAIM_HEADERS_KEY_PHRASE, REQUIRE_CLAIMS_KEY_MAX_LENGTH,
  REQUIRE_CLAIMS_KEY_MIN_LENGTH, REQUIRE_CLAIMS_KEY_PHRASE, REQUIRE_CLAIMS_VALUE_ITEM_PHRASE, REQUIRE_CLAIMS_VALUE_STRING_MAX_LENGTH,
  REQUIRE_CLAIMS_VALUE_STRING_MIN_LENGTH, RATE_LIMIT_LIMITS_EXCLUDES, ROUTES_ITEM_MATCH_MEMBERS, ROUTES_ITEM_MEMBERS, ROUTES_ITEM_RATE_LIMIT_EXCEPT, ROUTES_ITEM_RATE_LIMIT_MEMBERS, RATE_LIMIT_LIMITS_ITEM_MEMBERS,
  RATE_LIMIT_LIMITS_ITEM_PERIOD_SECONDS_PHRASE, RATE_LIMIT_LIMITS_ITEM_BURST_PHRASE,
} from "./policy-facts.generated";
import { CanaryPolicy, FailureSettings, HeaderMapping, LimitWindow, Policy, RateLimitPolicy } from "./policy";
import { AUTH_FIELDS, isObjectOrReport, parseCanary, parseFailure, parseRateLimit, readStringListOf } from "./policy-parse";
import { MemberWalk, PolicyErrors, describeText, itemPath, memberPath, readBool, readInt } from "./policy-reader";
import { hasNoControl, isHeaderName, isPathRule, isSfToken, isToken, isVisibleAscii } from "./policy-syntax";

/** `require`: what an authenticated identity must hold. Empty lists ask nothing. */
export class Requirements {
  /** Every one of these scopes. */
  scopes: Array<string> = new Array<string>();
  /** At least one of these scopes. */
  anyScopes: Array<string> = new Array<string>();
  /** At least one of these groups. */
  groups: Array<string> = new Array<string>();
  /** At least one of these audiences. */
  audiences: Array<string> = new Array<string>();
  /** Claim names, and for each the values one of which the claim must hold. */
  claimNames: Array<string> = new Array<string>();
  claimValues: Array<Array<string>> = new Array<Array<string>>();

  isEmpty(): bool {
    return this.scopes.length == 0 && this.anyScopes.length == 0 && this.groups.length == 0 &&
      this.audiences.length == 0 && this.claimNames.length == 0;
  }
}

/** `match.headers` entry: the header is present (no `value`), or its first value equals `value` exactly. */
export class HeaderMatch {
  name: string = "";
  value: string = "";
  present: bool = false;
}

export class RouteMatch {
  /** Path rules as in `auth.anonymousPaths`; empty = every path. */
  paths: Array<string> = new Array<string>();
  /** Upper-case methods; empty = every method. */
  methods: Array<string> = new Array<string>();
  headers: Array<HeaderMatch> = new Array<HeaderMatch>();
}

export class Route {
  name: string = "";
  match: RouteMatch = new RouteMatch();
  /** Served without a token (only unambiguous paths ever match an anonymous route). */
  anonymous: bool = false;
  /** `auth.shadow` on this route: the route's own `auth.shadow`, else the top-level one. */
  authShadow: bool = false;
  /** The sections that apply on this route: the top-level ones, or the route's override of them. */
  failure: FailureSettings = new FailureSettings();
  require: Requirements = new Requirements();
  rateLimit: RateLimitPolicy = new RateLimitPolicy();
  canary: CanaryPolicy = new CanaryPolicy();
  /** Whether the route overrides rateLimit: its keys then live in their own namespace. */
  ownRateLimit: bool = false;
}

/** The name of the sections that apply when no route matches. */
export const DEFAULT_ROUTE = "default";
export const MAX_ROUTES: i32 = ROUTES_MAX_LENGTH;
const ROUTE_FIELDS: Array<string> = ROUTES_ITEM_MEMBERS();
const MATCH_FIELDS: Array<string> = ROUTES_ITEM_MATCH_MEMBERS();
const ROUTE_AUTH_FIELDS: Array<string> = ROUTES_ITEM_AUTH_MEMBERS();
const REQUIRE_FIELDS: Array<string> = REQUIRE_MEMBERS();
/** Members only the top-level section may set (one store and one pre-auth limit per plugin instance), and what a
 *  route's own section may set. */
const TOP_ONLY_RATE_LIMIT: Array<string> = ROUTES_ITEM_RATE_LIMIT_EXCEPT();
const ROUTE_RATE_LIMIT_FIELDS: Array<string> = ROUTES_ITEM_RATE_LIMIT_MEMBERS();
const TOP_ONLY_CANARY: Array<string> = ROUTES_ITEM_CANARY_EXCEPT();
const ROUTE_CANARY_FIELDS: Array<string> = ROUTES_ITEM_CANARY_MEMBERS();
const ROUTE_NAME = ROUTES_ITEM_NAME_PHRASE();
const PATH_RULE = ROUTES_ITEM_MATCH_PATHS_ITEM_PHRASE();

/** Route names become metric labels: short, lower-case, no quoting needed anywhere. */
export function isRouteName(s: string): bool {
  if (s.length < ROUTES_ITEM_NAME_MIN_LENGTH || s.length > ROUTES_ITEM_NAME_MAX_LENGTH || s == DEFAULT_ROUTE) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c == 0x5f || c == 0x2d)) return false;
  }
  return true;
}

export function parseRequire(errors: PolicyErrors, value: JsonValue, path: string, out: Requirements): void {
  if (!value.isObject()) { errors.expected(path, "object", value); return; }
  const walk = new MemberWalk(errors, REQUIRE_FIELDS);
  for (let i = 0; i < value.keys.length; i++) {
    const key = value.keys[i];
    const at = memberPath(path, key);
    if (!walk.accept(key, at)) continue;
    const member = value.values[i];
    if (key == "claims") parseClaims(errors, member, at, out);
    else {
      if (key == "scopes") {
        out.scopes = readStringListOf(errors, member, at, REQUIRE_SCOPES_MAX_LENGTH, REQUIRE_SCOPES_PHRASE(), REQUIRE_SCOPES_ITEM_PHRASE());
      } else if (key == "anyScopes") {
        out.anyScopes = readStringListOf(errors, member, at, REQUIRE_ANY_SCOPES_MAX_LENGTH, REQUIRE_ANY_SCOPES_PHRASE(),
          REQUIRE_ANY_SCOPES_ITEM_PHRASE());
      } else if (key == "groups") {
        out.groups = readStringListOf(errors, member, at, REQUIRE_GROUPS_MAX_LENGTH, REQUIRE_GROUPS_PHRASE(), REQUIRE_GROUPS_ITEM_PHRASE());
      } else {
        out.audiences = readStringListOf(errors, member, at, REQUIRE_AUDIENCES_MAX_LENGTH, REQUIRE_AUDIENCES_PHRASE(),
          REQUIRE_AUDIENCES_ITEM_PHRASE());
      }
    }
  }
}

/** `claims: { name: value | [values] }`: scalars, compared as text (numbers and booleans as JSON prints them). */
function parseClaims(errors: PolicyErrors, value: JsonValue, path: string, out: Requirements): void {
  if (!value.isObject() || value.keys.length > REQUIRE_CLAIMS_MAX_LENGTH) { errors.expected(path, REQUIRE_CLAIMS_PHRASE(), value); return; }
  for (let i = 0; i < value.keys.length; i++) {
    const name = value.keys[i];
    const at = memberPath(path, name);
    if (!hasNoControl(name, REQUIRE_CLAIMS_KEY_MIN_LENGTH, REQUIRE_CLAIMS_KEY_MAX_LENGTH)) {
      errors.expectedGot(at, REQUIRE_CLAIMS_KEY_PHRASE(), describeText(name));
      continue;
    }
    if (out.claimNames.includes(name)) { errors.duplicate(at); continue; }
    const member = value.values[i];
    const accepted = new Array<string>();
    if (member.isArray() && member.items.length >= REQUIRE_CLAIMS_VALUE_MIN_LENGTH && member.items.length <= REQUIRE_CLAIMS_VALUE_MAX_LENGTH) {
      for (let j = 0; j < member.items.length; j++) {
        const text = claimValueText(member.items[j]);
        if (text != null) accepted.push(text);
        else errors.expected(itemPath(at, j), REQUIRE_CLAIMS_VALUE_ITEM_PHRASE(), member.items[j]);
      }
    } else {
      const text = claimValueText(member);
      if (text != null) accepted.push(text);
      else errors.expected(at, REQUIRE_CLAIMS_VALUE_PHRASE(), member);
    }
    out.claimNames.push(name);
    out.claimValues.push(accepted);
  }
}

function claimValueText(value: JsonValue): string | null {
  if (value.isString() && value.str.length >= REQUIRE_CLAIMS_VALUE_STRING_MIN_LENGTH && value.str.length <= REQUIRE_CLAIMS_VALUE_STRING_MAX_LENGTH) {
    return value.str;
  }
  if (value.isBool()) return value.bool ? "true" : "false";
  // Integers only: they print the same on every plane (claimValues in auth.ts prints the token's claim alike).
  if (value.isNumber()) return value.num == Math.floor(value.num) && Math.abs(value.num) < 1e15 ? stringifyJson(value) : null;
  return null;
}

/** `auth.claimHeaders` (forward mode): `{ claim: "auth-response-header" }`. */
export function parseClaimHeaders(errors: PolicyErrors, value: JsonValue, path: string): Array<HeaderMapping> {
  const out = new Array<HeaderMapping>();
  if (!value.isObject() || value.keys.length > AUTH_CLAIM_HEADERS_MAX_LENGTH) { errors.expected(path, AUTH_CLAIM_HEADERS_PHRASE(), value); return out; }
  for (let i = 0; i < value.keys.length; i++) {
    const at = memberPath(path, value.keys[i]);
    const member = value.values[i];
    if (!hasNoControl(value.keys[i], AUTH_CLAIM_HEADERS_KEY_MIN_LENGTH, AUTH_CLAIM_HEADERS_KEY_MAX_LENGTH)) {
      errors.expectedGot(at, AUTH_CLAIM_HEADERS_KEY_PHRASE(), describeText(value.keys[i]));
      continue;
    }
    if (!member.isString() || !isHeaderName(member.str)) { errors.expected(at, AUTH_CLAIM_HEADERS_VALUE_PHRASE(), member); continue; }
    const mapping = new HeaderMapping();
    mapping.from = value.keys[i];
    mapping.to = member.str.toLowerCase();
    out.push(mapping);
  }
  return out;
}

const LIMIT_FIELDS: Array<string> = RATE_LIMIT_LIMITS_ITEM_MEMBERS();

/** `rateLimit.limits`: 1..8 windows, each `{ rate, periodSeconds, burst, name }`. */
export function parseLimits(errors: PolicyErrors, value: JsonValue, path: string): Array<LimitWindow> {
  const out = new Array<LimitWindow>();
  if (!value.isArray() || value.items.length < RATE_LIMIT_LIMITS_MIN_LENGTH || value.items.length > RATE_LIMIT_LIMITS_MAX_LENGTH) {
    errors.expected(path, RATE_LIMIT_LIMITS_PHRASE(), value);
    return out;
  }
  for (let i = 0; i < value.items.length; i++) {
    const at = itemPath(path, i);
    const item = value.items[i];
    const window = new LimitWindow();
    out.push(window);
    if (!isObjectOrReport(errors, item, at)) continue;
    const walk = new MemberWalk(errors, LIMIT_FIELDS);
    for (let j = 0; j < item.keys.length; j++) {
      const key = item.keys[j];
      const memberAt = memberPath(at, key);
      if (!walk.accept(key, memberAt)) continue;
      const member = item.values[j];
      if (key == "rate") window.rate = readInt(errors, member, memberAt, RATE_LIMIT_LIMITS_ITEM_RATE_PHRASE(),
        RATE_LIMIT_LIMITS_ITEM_RATE_MIN, RATE_LIMIT_LIMITS_ITEM_RATE_MAX, window.rate);
      else if (key == "periodSeconds") {
        window.periodSeconds = readInt(errors, member, memberAt, RATE_LIMIT_LIMITS_ITEM_PERIOD_SECONDS_PHRASE(),
          RATE_LIMIT_LIMITS_ITEM_PERIOD_SECONDS_MIN,
          RATE_LIMIT_LIMITS_ITEM_PERIOD_SECONDS_MAX, window.periodSeconds);
      } else if (key == "burst") {
        window.burst = readInt(errors, member, memberAt, RATE_LIMIT_LIMITS_ITEM_BURST_PHRASE(),
          RATE_LIMIT_LIMITS_ITEM_BURST_MIN, RATE_LIMIT_LIMITS_ITEM_BURST_MAX, window.burst);
      } else {
        if (member.isString() && isSfToken(member.str)) window.name = member.str;
        else errors.expected(memberAt, RATE_LIMIT_LIMITS_ITEM_NAME_PHRASE(), member);
      }
    }
    if (!item.has("rate")) errors.expected(memberPath(at, "rate"), RATE_LIMIT_LIMITS_ITEM_RATE_PHRASE(), null);
  }
  for (let i = 0; i < out.length; i++) {
    for (let j = 0; j < i; j++) {
      if (out[i].name.length > 0 && out[i].name == out[j].name) errors.expectedGot(memberPath(itemPath(path, i), "name"), "a name no other limit has", describeText(out[i].name));
    }
  }
  return out;
}

/** Parses `routes` once every top-level section is known (`doc` is the whole document). */
export function parseRoutes(errors: PolicyErrors, value: JsonValue, path: string, doc: JsonValue, policy: Policy): void {
  if (!value.isArray() || value.items.length > MAX_ROUTES) {
    errors.expected(path, ROUTES_PHRASE(), value);
    return;
  }
  for (let i = 0; i < value.items.length; i++) {
    const at = itemPath(path, i);
    const route = parseRoute(errors, value.items[i], at, doc, policy);
    if (route == null || route.name.length == 0) continue;
    for (let j = 0; j < policy.routes.length; j++) {
      if (policy.routes[j].name == route.name) errors.expectedGot(memberPath(at, "name"), "a name no other route has", describeText(route.name));
    }
    policy.routes.push(route);
  }
}

function parseRoute(errors: PolicyErrors, value: JsonValue, path: string, doc: JsonValue, policy: Policy): Route | null {
  if (!value.isObject()) { errors.expected(path, "object", value); return null; }
  const route = new Route();
  route.authShadow = policy.auth.shadow;
  route.failure = policy.auth.failure;
  route.require = policy.require;
  route.rateLimit = policy.rateLimit;
  route.canary = policy.canary;
  const walk = new MemberWalk(errors, ROUTE_FIELDS);
  for (let i = 0; i < value.keys.length; i++) {
    const key = value.keys[i];
    const at = memberPath(path, key);
    if (!walk.accept(key, at)) continue;
    const member = value.values[i];
    if (key == "name") {
      if (member.isString() && isRouteName(member.str)) route.name = member.str;
      else errors.expected(at, ROUTE_NAME, member);
    } else if (key == "match") parseMatch(errors, member, at, route.match);
    else if (key == "anonymous") route.anonymous = readBool(errors, member, at, ROUTES_ITEM_ANONYMOUS_DEFAULT);
    else if (key == "auth") parseRouteAuth(errors, member, at, route);
    else if (key == "require") {
      route.require = new Requirements();
      parseRequire(errors, member, at, route.require);
    } else if (key == "failure") {
      route.failure = new FailureSettings();
      const top = sectionOf(doc.get("auth"), "failure");
      if (member.isObject()) parseFailure(errors, overlay(top, member), at, route.failure);
      else errors.expected(at, "object", member);
    } else if (key == "rateLimit") {
      route.ownRateLimit = true;
      route.rateLimit = new RateLimitPolicy();
      if (refuseTopOnly(errors, member, at, TOP_ONLY_RATE_LIMIT)) parseRateLimit(errors, overlay(doc.get("rateLimit"), member), at, route.rateLimit, ROUTE_RATE_LIMIT_FIELDS);
    } else {
      route.canary = new CanaryPolicy();
      if (refuseTopOnly(errors, member, at, TOP_ONLY_CANARY)) parseCanary(errors, overlay(doc.get("canary"), member), at, route.canary, ROUTE_CANARY_FIELDS);
    }
  }
  if (route.anonymous && value.has("require") && !route.require.isEmpty()) {
    errors.expectedGot(memberPath(path, "require"), "no requirements on an anonymous route", "requirements");
  }
  if (!value.has("name")) errors.expected(memberPath(path, "name"), ROUTE_NAME, null);
  if (!value.has("match")) errors.expected(memberPath(path, "match"), "object", null);
  return route;
}

/** A route's `auth`: `shadow` alone varies per route. Any other auth member is the plugin instance's, refused
 *  here by name so the error says where it belongs (a route's fail mode is its own `failure`). */
function parseRouteAuth(errors: PolicyErrors, value: JsonValue, path: string, route: Route): void {
  if (!value.isObject()) { errors.expected(path, "object", value); return; }
  const walk = new MemberWalk(errors, ROUTE_AUTH_FIELDS);
  for (let i = 0; i < value.keys.length; i++) {
    const key = value.keys[i];
    const at = memberPath(path, key);
    if (key == "failure") { errors.expectedGot(at, "nothing (a route's fail mode is its own `failure`)", "a value"); continue; }
    if (!ROUTE_AUTH_FIELDS.includes(key) && AUTH_FIELDS.includes(key)) { errors.expectedGot(at, "nothing (set in the top-level section only)", "a value"); continue; }
    if (!walk.accept(key, at)) continue;
    route.authShadow = readBool(errors, value.values[i], at, route.authShadow);
  }
}

function sectionOf(section: JsonValue | null, key: string): JsonValue | null {
  return section != null && section.isObject() ? section.get(key) : null;
}

/** The top-level section's members the route does not name, then the route's own (duplicates kept, so the
 *  section's parser still reports them). A top-level section that is not an object has its own error already. */
function overlay(top: JsonValue | null, route: JsonValue): JsonValue {
  if (!route.isObject()) return route;
  const merged = JsonValue.object();
  let namesWindow = false;
  for (let i = 0; i < WINDOW_KEYS.length; i++) if (route.has(WINDOW_KEYS[i])) namesWindow = true;
  if (top != null && top.isObject()) {
    for (let i = 0; i < top.keys.length; i++) {
      if (route.has(top.keys[i]) || (namesWindow && WINDOW_KEYS.includes(top.keys[i]))) continue;
      merged.keys.push(top.keys[i]);
      merged.values.push(top.values[i]);
    }
  }
  for (let i = 0; i < route.keys.length; i++) {
    merged.keys.push(route.keys[i]);
    merged.values.push(route.values[i]);
  }
  return merged;
}

/** A route that says anything about its windows says all of it: `rate: 5` does not inherit the top-level burst. */
const WINDOW_KEYS: Array<string> = RATE_LIMIT_LIMITS_EXCLUDES().concat(["limits"]);

function refuseTopOnly(errors: PolicyErrors, value: JsonValue, path: string, topOnly: Array<string>): bool {
  if (!value.isObject()) { errors.expected(path, "object", value); return false; }
  let ok = true;
  for (let i = 0; i < value.keys.length; i++) {
    if (!topOnly.includes(value.keys[i])) continue;
    errors.expectedGot(memberPath(path, value.keys[i]), "nothing (set in the top-level section only)", "a value");
    ok = false;
  }
  return ok;
}

function parseMatch(errors: PolicyErrors, value: JsonValue, path: string, out: RouteMatch): void {
  if (!value.isObject()) { errors.expected(path, "object", value); return; }
  const walk = new MemberWalk(errors, MATCH_FIELDS);
  for (let i = 0; i < value.keys.length; i++) {
    const key = value.keys[i];
    const at = memberPath(path, key);
    if (!walk.accept(key, at)) continue;
    const member = value.values[i];
    if (key == "paths") {
      out.paths = readStringListOf(errors, member, at, ROUTES_ITEM_MATCH_PATHS_MAX_LENGTH, ROUTES_ITEM_MATCH_PATHS_PHRASE(), PATH_RULE);
      for (let j = 0; j < out.paths.length; j++) {
        if (!isPathRule(out.paths[j])) errors.expected(itemPath(at, j), PATH_RULE, JsonValue.ofString(out.paths[j]));
      }
    } else if (key == "methods") {
      out.methods = readStringListOf(errors, member, at, ROUTES_ITEM_MATCH_METHODS_MAX_LENGTH, ROUTES_ITEM_MATCH_METHODS_PHRASE(),
        ROUTES_ITEM_MATCH_METHODS_ITEM_PHRASE());
      for (let j = 0; j < out.methods.length; j++) {
        const method = out.methods[j];
        if (!isToken(method, ROUTES_ITEM_MATCH_METHODS_ITEM_MIN_LENGTH, ROUTES_ITEM_MATCH_METHODS_ITEM_MAX_LENGTH)) {
          errors.expected(itemPath(at, j), ROUTES_ITEM_MATCH_METHODS_ITEM_PHRASE(), JsonValue.ofString(method));
        }
        out.methods[j] = out.methods[j].toUpperCase();
      }
    } else parseHeaderMatches(errors, member, at, out);
  }
}

const HEADER_MATCH_FIELDS: Array<string> = ROUTES_ITEM_MATCH_HEADERS_ITEM_MEMBERS();

/** `headers: [{ name, value? }]` — without `value` the header need only be present. */
function parseHeaderMatches(errors: PolicyErrors, value: JsonValue, path: string, out: RouteMatch): void {
  if (!value.isArray() || value.items.length > ROUTES_ITEM_MATCH_HEADERS_MAX_LENGTH) {
    errors.expected(path, ROUTES_ITEM_MATCH_HEADERS_PHRASE(), value);
    return;
  }
  for (let i = 0; i < value.items.length; i++) {
    const at = itemPath(path, i);
    const item = value.items[i];
    if (!isObjectOrReport(errors, item, at)) continue;
    const match = new HeaderMatch();
    match.present = true;
    const walk = new MemberWalk(errors, HEADER_MATCH_FIELDS);
    for (let j = 0; j < item.keys.length; j++) {
      const key = item.keys[j];
      const memberAt = memberPath(at, key);
      if (!walk.accept(key, memberAt)) continue;
      const member = item.values[j];
      if (key == "name") {
        if (member.isString() && isHeaderName(member.str)) match.name = member.str.toLowerCase();
        else errors.expected(memberAt, ROUTES_ITEM_MATCH_HEADERS_ITEM_NAME_PHRASE(), member);
      } else if (member.isString() && isVisibleAscii(member.str, ROUTES_ITEM_MATCH_HEADERS_ITEM_VALUE_MIN_LENGTH,
        ROUTES_ITEM_MATCH_HEADERS_ITEM_VALUE_MAX_LENGTH)) {
        match.value = member.str;
        match.present = false;
      } else errors.expected(memberAt, ROUTES_ITEM_MATCH_HEADERS_ITEM_VALUE_PHRASE(), member);
    }
    if (!item.has("name")) errors.expected(memberPath(at, "name"), ROUTES_ITEM_MATCH_HEADERS_ITEM_NAME_PHRASE(), null);
    out.headers.push(match);
  }
}

/** Fills the derived auth fields: which claims decisions must keep, and whether they keep scopes/audiences. */
export function deriveAuthorizationNeeds(policy: Policy): void {
  const auth = policy.auth;
  auth.neededClaims = new Array<string>();
  auth.keepsAuthorization = false;
  noteNeeds(policy, policy.require);
  for (let i = 0; i < policy.routes.length; i++) noteNeeds(policy, policy.routes[i].require);
}

function noteNeeds(policy: Policy, require: Requirements): void {
  if (require.isEmpty()) return;
  const auth = policy.auth;
  auth.keepsAuthorization = true;
  for (let i = 0; i < require.claimNames.length; i++) {
    if (!auth.neededClaims.includes(require.claimNames[i])) auth.neededClaims.push(require.claimNames[i]);
  }
}
