// What the engine needs per route, compiled once per policy: the sections that apply on the route (its
// overrides or the top-level ones), their GCRA windows, headers plan and canary plan, and how to match it.
import { CanaryPlan, compileCanary } from "./canary";
import { GcraParams, gcraWindows } from "./gcra";
import { Header, firstHeader } from "./headers";
import { CanaryPolicy, FailureSettings, Policy, RateLimitPolicy } from "./policy";
import { DEFAULT_ROUTE, Requirements, Route, RouteMatch } from "./policy-routes";
import { RateLimitHeaderPlan, compileRateLimitHeaders, windowName } from "./ratelimit-headers";
import { matchesAny } from "./request-path";

export class RoutePlan {
  name: string = DEFAULT_ROUTE;
  match: RouteMatch | null = null;
  anonymous: bool = false;
  /** Auth runs in shadow on this route (DECISIONS.md §10): decides and records, never acts. */
  authShadow: bool;
  failure: FailureSettings;
  require: Requirements;
  rateLimit: RateLimitPolicy;
  canary: CanaryPolicy;
  windows: Array<GcraParams>;
  windowNames: Array<string> = new Array<string>();
  limitHeaders: RateLimitHeaderPlan;
  canaryPlan: CanaryPlan;
  /** Prefix of this route's limiter keys: "" for the top-level limit, `r:<name>:` for a route's own. */
  keyPrefix: string = "";
  /** keyPrefix + "s:", the head of every subject key (built once, not per request). */
  subjectKeyPrefix: string = "s:";

  constructor(policy: Policy, route: Route | null) {
    const rateLimit = route != null ? route.rateLimit : policy.rateLimit;
    const canary = route != null ? route.canary : policy.canary;
    this.authShadow = policy.auth.enabled && (route != null ? route.authShadow : policy.auth.shadow);
    this.failure = route != null ? route.failure : policy.auth.failure;
    this.require = route != null ? route.require : policy.require;
    this.rateLimit = rateLimit;
    this.canary = canary;
    const windows = gcraWindows(rateLimit);
    this.windows = windows;
    // Lower-case names: the engine's headers, like the hosts', are compared and set by lower-case name.
    this.limitHeaders = compileRateLimitHeaders(rateLimit, true);
    this.canaryPlan = compileCanary(canary);
    for (let i = 0; i < windows.length; i++) this.windowNames.push(windowName(rateLimit, i));
    if (route != null) {
      this.name = route.name;
      this.match = route.match;
      this.anonymous = route.anonymous;
      if (route.ownRateLimit) this.keyPrefix = "r:" + route.name + ":";
      this.subjectKeyPrefix = this.keyPrefix + "s:";
    }
  }
}

export function compileRoutes(policy: Policy): Array<RoutePlan> {
  const plans = new Array<RoutePlan>();
  for (let i = 0; i < policy.routes.length; i++) plans.push(new RoutePlan(policy, policy.routes[i]));
  return plans;
}

/** Whether any route matches on paths (an ambiguous path then cannot be routed: DECISIONS.md §9). */
export function routesMatchPaths(plans: Array<RoutePlan>): bool {
  for (let i = 0; i < plans.length; i++) if (plans[i].match!.paths.length > 0) return true;
  return false;
}

/** Whether any route matches on methods (hosts then read the method for every request). */
export function routesMatchMethods(plans: Array<RoutePlan>): bool {
  for (let i = 0; i < plans.length; i++) if (plans[i].match!.methods.length > 0) return true;
  return false;
}

/** The first route that matches, or null (the top-level sections apply). `canonical`/`literal`: the path's
 *  readings (request-path.ts) of an unambiguous path. A route that grants anonymous access matches only when
 *  both readings match; any other route when either does, so no reading of the bytes escapes a route's rules. */
export function selectRoute(plans: Array<RoutePlan>, method: string, canonical: string, literal: string, headers: Array<Header>): RoutePlan | null {
  for (let i = 0; i < plans.length; i++) {
    const plan = plans[i];
    const match = plan.match!;
    if (match.methods.length > 0 && !match.methods.includes(method)) continue;
    if (!headersMatch(match, headers)) continue;
    if (match.paths.length > 0) {
      const byCanonical = matchesAny(match.paths, canonical);
      const byLiteral = matchesAny(match.paths, literal);
      if (plan.anonymous ? !(byCanonical && byLiteral) : !(byCanonical || byLiteral)) continue;
    }
    return plan;
  }
  return null;
}

function headersMatch(match: RouteMatch, headers: Array<Header>): bool {
  for (let i = 0; i < match.headers.length; i++) {
    const want = match.headers[i];
    const value = firstHeader(headers, want.name);
    if (value == null) return false;
    if (!want.present && value != want.value) return false;
  }
  return true;
}
