// The request flow both planes run (DESIGN.md "One request, in order"), as a sans-I/O state machine.
// The host adapter looks at `flow.step`, performs that step's I/O (cache lookup, auth call, limiter
// state update), feeds the result back through the matching `on*` method, and repeats until the
// step is Forward or Reject. The engine never waits, never reads a clock and never throws.
import { AuthRequest, authFailure, buildAuthRequest, interpretAuthResponse } from "./auth";
import { jwtDecision, jwtRulesOf } from "./jwt-auth";
import { JwtRules } from "./jwt";
import { KeySet } from "./jwks";
import { SignatureVerifier } from "./signature";
import { KeyDigest, authFingerprint, cacheKeyOfRange } from "./cache-key";
import { CanaryDecision, appendCanaryHeaders, decideCanaryWith } from "./canary";
import { bearerChallenge } from "./challenge";
import { AuthDecision, CachedDecision, Verdict } from "./decision";
import { GcraParams, GcraVerdict, gcraParams, gcraStepAll } from "./gcra";
import { Header, firstHeader } from "./headers";
import { LIMITER_MARKER_HEADER, ownedHeaderNames, ownedHeadersSent } from "./owned-headers";
import { JsonValue, stringifyJson } from "./json";
import { AuthMode, FailMode, LimitHeaders, LimitKeyKind, Policy, RateLimitPolicy } from "./policy";
import { Requirements } from "./policy-routes";
import { pathMatches, readPath, targetRefusal } from "./request-path";
import { RATE_LIMITED_CONTENT_TYPE, appendVerdictHeaders, compileRateLimitHeaders, rateLimitedBodyNaming } from "./ratelimit-headers";
import { unmetRequirement } from "./requirements";
import { RoutePlan, compileRoutes, routesMatchMethods, routesMatchPaths, selectRoute } from "./route-plan";
import { CharScan, TokenOutcome, locateToken } from "./token";

export const enum Step { Reject = 0, LookupCache = 1, CallAuth = 2, Limit = 3, Forward = 4, ClientIp = 5, Keys = 6 }

export function stepName(step: i32): string {
  if (step == Step.Reject) return "reject";
  if (step == Step.LookupCache) return "lookup_cache";
  if (step == Step.CallAuth) return "call_auth";
  if (step == Step.Limit) return "limit";
  if (step == Step.ClientIp) return "client_ip";
  if (step == Step.Keys) return "keys";
  return "forward";
}

// Shared empty defaults for arrays that are only ever replaced, never written to (saves allocations per request).
const NO_HEADERS: Array<Header> = new Array<Header>(0);
const NO_STRINGS: Array<string> = new Array<string>(0);
const NO_WINDOWS: Array<GcraParams> = new Array<GcraParams>(0);
const NO_SHADOWS: Array<ShadowDecision> = new Array<ShadowDecision>(0);

/** The policy sections a decision can come from (the `section` of logs and metric labels). */
export const SECTION_BOUNDARY = "boundary";
export const SECTION_AUTH = "auth";
export const SECTION_RATE_LIMIT = "rateLimit";
export const SECTION_CANARY = "canary";

/** What a shadowed section decided and did not enforce (DECISIONS.md §10). */
export class ShadowDecision {
  section: string = "";
  /** auth: allow, deny, error or anonymous; rateLimit: allow, deny or error; canary: canary or stable. */
  outcome: string = "";
  reason: string = "";
  /** The status the client would have got from this section (0 = it would have let the request through). */
  wouldStatus: i32 = 0;
}

/** The request as the client sent it. Every string is a byte string — one character per byte received, never
 *  the output of a UTF-8 decoder — so both planes judge the same bytes (DECISIONS.md §1.1). */
export class RequestView {
  method: string = "GET";
  /** Request target (origin form) with query string, as received. */
  path: string = "/";
  /** Names as received (hosts lower-case ASCII); repeated headers as repeated entries. Hosts assign their own
   *  array (the default is shared). */
  headers: Array<Header> = NO_HEADERS;
  /** Empty = not known yet: the engine asks for it (Step.ClientIp) only when a decision needs it. */
  clientIp: string = "";
  /** Header lines as the client sent them, when the host counts them (Kong); -1 when the proxy applies the
   *  header-count rule itself before any filter (Envoy's codec). */
  headerLines: i32 = -1;
}

export class LocalResponse {
  status: i32 = 500;
  headers: Array<Header> = new Array<Header>();
  body: string = "";
}

const enum Phase { PreAuthLimit = 0, Auth = 1, PostAuthLimit = 2, Done = 3, PreAuthIpLimit = 4 }
/** What to resume once the host has supplied the client IP. */
const enum Pending { None = 0, PreAuthLimit = 1, PostAuthLimit = 2, Finish = 3, PreAuthIpLimit = 4 }

export class Flow {
  step: i32 = Step.Forward;
  request: RequestView;
  phase: i32 = Phase.Auth;
  pending: i32 = Pending.None;
  clientIpResolved: bool = false;

  /** Client-sent headers the host must remove before forwarding: every name, exactly as sent, that folds to a
   *  name meshgate owns (owned-headers.ts). Read-only (the empty list is shared). */
  removeHeaders: Array<string> = NO_STRINGS;
  /** Forward: of removeHeaders, those the host must clear because upstreamHeaders does not set them again (a set
   *  replaces the client's value: strip unless re-set). Read-only. */
  stripHeaders: Array<string> = NO_STRINGS;
  /** The route whose rules apply ("default" = the top-level sections). */
  route: RoutePlan;
  /** Headers the host sets on the upstream request when forwarding. Read-only for hosts (while empty, the list is
   *  shared: the engine adds through upstreamList()). */
  upstreamHeaders: Array<Header> = NO_HEADERS;
  /** Headers the host adds to the response sent to the client (RateLimit fields). Read-only for hosts, shared while
   *  empty like upstreamHeaders (the engine adds through responseList()). */
  responseHeaders: Array<Header> = NO_HEADERS;
  /** Set when step == Reject. */
  response: LocalResponse | null = null;

  /** LookupCache / CallAuth: the decision-cache key (hex SHA-256). */
  cacheKey: string = "";
  /** CallAuth: what to send. */
  authRequest: AuthRequest | null = null;
  /** Keys (jwt mode): true when the engine asks again because the token's `kid` is not in the set it was given;
   *  the host may refetch the set (JwksRefresh.plan) before it answers. */
  keysRefetch: bool = false;
  /** After CallAuth or Keys: what the host stores under cacheKey (null = nothing to cache). */
  toCache: CachedDecision | null = null;
  /** Limit: the limiter key (already namespaced by route and kind) and the GCRA windows that apply to it, in
   *  order; the host stores one TAT per window under the key and updates them together (all or none). */
  limitKey: string = "";
  limitWindows: Array<GcraParams> = NO_WINDOWS;
  limitResult: GcraVerdict | null = null;

  // For logs and metrics.
  /** The section whose rule gave `outcome` and `reason` (SECTION_*). */
  section: string = "";
  outcome: string = "";
  reason: string = "";
  /** What shadowed sections decided, in flow order (read-only when empty: the list is shared). */
  shadows: Array<ShadowDecision> = NO_SHADOWS;
  cacheState: string = "none";
  /** Status of the auth-service answer this flow used (0 = no call, or a transport failure). */
  authStatus: i32 = 0;
  subject: string = "";
  /** Read-only: the decision's list, shared with the decision cache. */
  groups: Array<string> = NO_STRINGS;
  anonymous: bool = false;
  /** Forwarded without a verified identity because the auth service failed and the path fails open. */
  degraded: bool = false;
  limiterDegraded: bool = false;
  canary: CanaryDecision | null = null;

  // The token lies in a request header value (or a decoded cookie/query value): copied out only when asked.
  private tokenText: string = "";
  private tokenStart: i32 = 0;
  private tokenEnd: i32 = 0;
  private tokenCopy: string | null = null;
  staleCandidate: CachedDecision | null = null;

  constructor(request: RequestView, route: RoutePlan) {
    this.request = request;
    this.route = route;
  }

  /** The bearer token of this request ("" before it was found). */
  get token(): string {
    let copy = this.tokenCopy;
    if (copy == null) {
      copy = this.tokenText.substring(this.tokenStart, this.tokenEnd);
      this.tokenCopy = copy;
    }
    return copy;
  }

  /** upstreamHeaders to add to, allocated with the first header: a flow that adds none allocates no list. */
  upstreamList(): Array<Header> {
    if (this.upstreamHeaders == NO_HEADERS) this.upstreamHeaders = new Array<Header>();
    return this.upstreamHeaders;
  }

  /** responseHeaders to add to (see upstreamList). */
  responseList(): Array<Header> {
    if (this.responseHeaders == NO_HEADERS) this.responseHeaders = new Array<Header>();
    return this.responseHeaders;
  }

  setToken(text: string, start: i32, end: i32): void {
    this.tokenText = text;
    this.tokenStart = start;
    this.tokenEnd = end;
    this.tokenCopy = null;
  }
}

export class Engine {
  readonly policy: Policy;
  readonly fingerprint: string;
  /** Owned header names, folded (owned-headers.ts). */
  readonly ownedHeaders: Array<string>;
  /** rateLimit.preAuthIp (null = none): the plan of the one window its 429 replies describe. */
  private readonly preAuthIp: RoutePlan | null;
  /** The top-level sections (route "default"), and the routes in order. */
  readonly defaultRoute: RoutePlan;
  readonly routes: Array<RoutePlan>;
  private readonly routesByPath: bool;
  /** Whether decisions can depend on the method: hosts that pay per lookup skip it otherwise. (Every request
   *  needs its path: the request-target rule reads it.) */
  readonly needsMethod: bool;
  private readonly digest: KeyDigest;
  private readonly scan: CharScan;
  private readonly verifier: SignatureVerifier;
  /** jwt mode: what a token must satisfy (from auth.jwt). */
  private readonly jwtRules: JwtRules;

  /** `digest`: the plane's SHA-256 for cache keys; `scan`: the plane's character scan; `verifier`: the plane's
   *  signature checks for jwt mode (null = the portable ones). */
  constructor(policy: Policy, digest: KeyDigest | null = null, scan: CharScan | null = null, verifier: SignatureVerifier | null = null) {
    this.policy = policy;
    this.digest = digest != null ? digest : new KeyDigest();
    this.scan = scan != null ? scan : new CharScan();
    this.verifier = verifier != null ? verifier : new SignatureVerifier();
    this.jwtRules = jwtRulesOf(policy.auth.jwt);
    this.fingerprint = authFingerprint(policy.auth);
    this.ownedHeaders = ownedHeaderNames(policy);
    this.defaultRoute = new RoutePlan(policy, null);
    this.routes = compileRoutes(policy);
    this.routesByPath = routesMatchPaths(this.routes);
    const limit = policy.rateLimit;
    const pre = limit.enabled && limit.preAuthIp.rate > 0 && policy.auth.enabled ? preAuthIpPolicy(limit) : null;
    let preAuthIp: RoutePlan | null = null;
    if (pre != null) {
      preAuthIp = new RoutePlan(policy, null);
      preAuthIp.rateLimit = pre;
      preAuthIp.windows = [gcraParams(pre)];
      preAuthIp.windowNames = [pre.name];
      preAuthIp.limitHeaders = compileRateLimitHeaders(pre, true);
    }
    this.preAuthIp = preAuthIp;
    const auth = policy.auth;
    this.needsMethod = (auth.enabled && auth.forwardHeaders.includes(":method")) || routesMatchMethods(this.routes);
  }

  begin(request: RequestView, nowMs: f64): Flow {
    const flow = new Flow(request, this.defaultRoute);
    flow.removeHeaders = ownedHeadersSent(this.ownedHeaders, request.headers, NO_STRINGS);
    // What either proxy refuses before any plugin runs is refused on both planes, in the proxies' order
    // (DECISIONS.md §1.2).
    const refusal = targetRefusal(request.path);
    if (refusal.length > 0) {
      this.reject(flow, SECTION_BOUNDARY, jsonResponse(400, "invalid_request", "malformed request target"), "deny", "target_" + refusal);
      return flow;
    }
    const repeated = repeatedUniqueHeader(request.headers);
    if (repeated == "authorization") {
      // Repeated credentials (RFC 6750 §3.1), on every path: anonymous ones too, as nginx refuses them.
      this.reject(flow, SECTION_BOUNDARY, challengeResponse(400, this.policy.auth.realm, "invalid_request", "invalid_request", "malformed or repeated bearer credentials"), "deny", "token_ambiguous");
      return flow;
    }
    if (repeated.length > 0) {
      this.reject(flow, SECTION_BOUNDARY, jsonResponse(400, "invalid_request", "repeated request header"), "deny", "repeated_header");
      return flow;
    }
    if (request.headerLines >= 0 && tooManyRequestHeaders(request.headerLines)) {
      this.reject(flow, SECTION_BOUNDARY, tooManyHeadersResponse(), "deny", "too_many_headers");
      return flow;
    }
    if (this.routes.length > 0 && !this.chooseRoute(flow)) return flow;
    if (this.preAuthIp != null) {
      flow.phase = Phase.PreAuthIpLimit;
      this.enterLimit(flow, Pending.PreAuthIpLimit);
      return flow;
    }
    this.afterPreAuthIpLimit(flow, nowMs);
    return flow;
  }

  /** Picks the flow's route (DECISIONS.md §9); false when the request was refused because it cannot be routed. */
  private chooseRoute(flow: Flow): bool {
    const r = flow.request;
    const reading = readPath(r.path);
    if (reading.ambiguity.length > 0 && this.routesByPath) {
      // Some upstream may read these bytes as a path another route (or none) governs: no route is safe to pick.
      this.reject(flow, SECTION_BOUNDARY, jsonResponse(400, "invalid_request", "ambiguous request path"), "deny", "route_ambiguous");
      return false;
    }
    const route = selectRoute(this.routes, r.method, reading.canonical, reading.literal, r.headers);
    if (route != null) flow.route = route;
    return true;
  }

  private afterPreAuthIpLimit(flow: Flow, nowMs: f64): void {
    const limit = flow.route.rateLimit;
    if (limit.enabled && limit.keyKind != LimitKeyKind.Subject && !shadowRefused(flow, limit)) {
      flow.phase = Phase.PreAuthLimit;
      this.enterLimit(flow, Pending.PreAuthLimit);
      return;
    }
    this.startAuth(flow, nowMs);
  }

  /** Step.ClientIp: the host supplies the client address (empty if unknown) and the flow resumes. */
  onClientIp(flow: Flow, clientIp: string, nowMs: f64): void {
    if (flow.step != Step.ClientIp) return;
    flow.request.clientIp = clientIp;
    flow.clientIpResolved = true;
    const pending = flow.pending;
    flow.pending = Pending.None;
    if (pending == Pending.Finish) this.finish(flow);
    else this.enterLimit(flow, pending);
  }

  onCacheResult(flow: Flow, entry: CachedDecision | null, nowMs: f64): void {
    if (flow.step != Step.LookupCache) return;
    if (entry != null && entry.freshUntilMs > nowMs) {
      flow.cacheState = "hit";
      this.applyDecision(flow, entry.decision, nowMs);
      return;
    }
    flow.cacheState = "miss";
    if (entry != null && entry.decision.verdict == Verdict.Allow && entry.staleUntilMs > nowMs) flow.staleCandidate = entry;
    if (this.policy.auth.mode == AuthMode.Jwt) {
      flow.step = Step.Keys;
      return;
    }
    const r = flow.request;
    flow.authRequest = buildAuthRequest(this.policy.auth, flow.token, r.headers, r.method, r.path);
    flow.step = Step.CallAuth;
  }

  onAuthResponse(flow: Flow, status: i32, headers: Array<Header>, body: string, nowMs: f64): void {
    if (flow.step != Step.CallAuth) return;
    flow.authStatus = status;
    const decision = interpretAuthResponse(this.policy.auth, status, headers, body, nowMs);
    if (decision.verdict == Verdict.Error) {
      this.onAuthError(flow, decision, nowMs);
      return;
    }
    if (decision.ttlMs > 0) flow.toCache = this.cacheEntry(decision, nowMs);
    this.applyDecision(flow, decision, nowMs);
  }

  /** Step.Keys (jwt mode): the host answers with the key set requests may verify with now (JwksRefresh.usable),
   *  null when there is none. The token is verified locally; an unknown `kid` asks once more with
   *  `flow.keysRefetch` set (the host may refetch first), then refuses. No usable set is an auth failure
   *  (`jwks_unavailable`): stale decisions, then the failure mode, as when the auth service is down. */
  onKeys(flow: Flow, keys: KeySet | null, nowMs: f64): void {
    if (flow.step != Step.Keys) return;
    const auth = this.policy.auth;
    const decision = jwtDecision(auth, this.jwtRules, flow.token, keys, nowMs, this.verifier);
    if (decision.verdict == Verdict.Error) {
      this.onAuthError(flow, decision, nowMs);
      return;
    }
    if (decision.reason == "unknown_kid" && !flow.keysRefetch) {
      flow.keysRefetch = true;
      return;
    }
    if (decision.ttlMs > 0) flow.toCache = this.cacheEntry(decision, nowMs);
    this.applyDecision(flow, decision, nowMs);
  }

  /** `kind`: timeout, connect, reset, too_large (any short word; it becomes the reason auth_<kind>). */
  onAuthFailure(flow: Flow, kind: string, nowMs: f64): void {
    if (flow.step != Step.CallAuth) return;
    this.onAuthError(flow, authFailure(kind), nowMs);
  }

  /** Pure: what the limiter would decide for these stored TATs (one per window, missing = no state). The host
   *  stores verdict.tatsToStore(tats) only when allowed, all windows at once; it may retry on CAS conflicts. */
  evaluateLimit(flow: Flow, tatsUs: Array<f64>, nowMs: f64): GcraVerdict {
    if (flow.step != Step.Limit) return new GcraVerdict();
    return gcraStepAll(flow.limitWindows, tatsUs, nowMs);
  }

  /** The verdict the host committed (for redis: what the script returned). `fallback`: the shared store failed
   *  and the host's local store decided instead (fault-tolerant policies): the flow counts as limiter-degraded
   *  and the response carries the limiter marker. */
  onLimitResult(flow: Flow, verdict: GcraVerdict, nowMs: f64, fallback: bool = false): void {
    if (flow.step != Step.Limit) return;
    const preAuthIp = flow.phase == Phase.PreAuthIpLimit;
    const plan = preAuthIp ? this.preAuthIp! : flow.route;
    const limit = plan.rateLimit;
    flow.limitResult = verdict;
    if (fallback) flow.limiterDegraded = true;
    if (limit.shadow) {
      // The host committed the state as for an enforced limit; nothing reaches the request or the response
      // (not the fallback marker either: a fallback is still counted and logged through limiterDegraded).
      recordShadow(flow, SECTION_RATE_LIMIT, verdict.allowed ? "allow" : "deny", verdict.allowed ? "within_limit" : "rate_limited", verdict.allowed ? 0 : limit.status);
      this.afterLimit(flow, nowMs);
      return;
    }
    if (!verdict.allowed) {
      const response = new LocalResponse();
      response.status = limit.status;
      appendVerdictHeaders(plan.limitHeaders, verdict, response.headers);
      response.headers.push(new Header("content-type", RATE_LIMITED_CONTENT_TYPE));
      if (fallback) response.headers.push(new Header(LIMITER_MARKER_HEADER, LIMITER_FALLBACK));
      response.body = rateLimitedBodyNaming(limit, plan.windowNames[verdict.binding]);
      this.reject(flow, SECTION_RATE_LIMIT, response, "deny", "rate_limited");
      return;
    }
    // An allowed request advertises the main limit only: the pre-auth IP limit is a floor under it.
    if (!preAuthIp && plan.limitHeaders.kind != LimitHeaders.None) appendVerdictHeaders(plan.limitHeaders, verdict, flow.responseList());
    if (fallback) flow.responseList().push(new Header(LIMITER_MARKER_HEADER, LIMITER_FALLBACK));
    this.afterLimit(flow, nowMs);
  }

  /** The limiter store could not be used (CAS kept failing, Redis down without a fallback). */
  onLimitUnavailable(flow: Flow, nowMs: f64): void {
    if (flow.step != Step.Limit) return;
    const faultTolerant = this.policy.rateLimit.faultTolerant;
    const plan = flow.phase == Phase.PreAuthIpLimit ? this.preAuthIp! : flow.route;
    if (plan.rateLimit.shadow) {
      recordShadow(flow, SECTION_RATE_LIMIT, "error", "limiter_unavailable", faultTolerant ? 0 : 503);
      this.afterLimit(flow, nowMs);
      return;
    }
    if (faultTolerant) {
      flow.limiterDegraded = true;
      this.afterLimit(flow, nowMs);
      return;
    }
    this.reject(flow, SECTION_RATE_LIMIT, jsonResponse(503, "limiter_unavailable", "rate limiter unavailable"), "error", "limiter_unavailable");
  }

  private afterLimit(flow: Flow, nowMs: f64): void {
    if (flow.phase == Phase.PreAuthIpLimit) this.afterPreAuthIpLimit(flow, nowMs);
    else if (flow.phase == Phase.PreAuthLimit) this.startAuth(flow, nowMs);
    else this.finish(flow);
  }

  private startAuth(flow: Flow, nowMs: f64): void {
    flow.phase = Phase.Auth;
    const auth = this.policy.auth;
    const r = flow.request;
    if (!auth.enabled || flow.route.anonymous || pathMatches(auth.anonymousPaths, r.path)) {
      const reason = !auth.enabled ? "auth_disabled" : flow.route.anonymous ? "anonymous_route" : "anonymous_path";
      if (flow.route.authShadow) {
        this.passAuthShadow(flow, "anonymous", reason, 0, nowMs);
        return;
      }
      flow.anonymous = true;
      flow.section = SECTION_AUTH;
      flow.outcome = "anonymous";
      flow.reason = reason;
      this.afterAuth(flow, nowMs);
      return;
    }
    const token = locateToken(auth, r.headers, r.path, this.scan);
    if (token.outcome == TokenOutcome.Missing) {
      this.refuseAuth(flow, challengeResponse(401, auth.realm, "", "unauthorized", "missing bearer token"), "deny", "token_missing", nowMs);
      return;
    }
    if (token.outcome == TokenOutcome.InvalidToken) {
      this.refuseAuth(flow, challengeResponse(401, auth.realm, "invalid_token", "invalid_token", "malformed bearer token"), "deny", "token_malformed", nowMs);
      return;
    }
    if (token.outcome == TokenOutcome.InvalidRequest) {
      this.refuseAuth(flow, challengeResponse(400, auth.realm, "invalid_request", "invalid_request", "malformed or repeated bearer credentials"), "deny", "token_ambiguous", nowMs);
      return;
    }
    flow.setToken(token.text, token.start, token.end);
    flow.cacheKey = cacheKeyOfRange(this.digest, this.fingerprint, auth, token.text, token.start, token.end, r.headers, r.method, r.path);
    flow.step = Step.LookupCache;
  }

  private onAuthError(flow: Flow, decision: AuthDecision, nowMs: f64): void {
    const stale = flow.staleCandidate;
    if (stale != null && stale.staleUntilMs > nowMs) {
      flow.cacheState = "stale";
      this.applyDecision(flow, stale.decision, nowMs);
      return;
    }
    const failure = flow.route.failure;
    // Requirements cannot be checked without an answer: a route that has them never fails open.
    const mayOpen = flow.route.require.isEmpty() && (failure.mode == FailMode.Open || pathMatches(failure.openPaths, flow.request.path));
    if (mayOpen) {
      if (flow.route.authShadow) {
        // Failing open would have forwarded the request degraded: recorded as such, no degraded header.
        this.passAuthShadow(flow, "error", decision.reason, 0, nowMs);
        return;
      }
      flow.degraded = true;
      flow.section = SECTION_AUTH;
      flow.anonymous = true;
      flow.outcome = "error";
      flow.reason = decision.reason;
      flow.upstreamList().push(new Header(failure.degradedHeader, decision.reason));
      this.afterAuth(flow, nowMs);
      return;
    }
    const response = failure.status == 401
      ? challengeResponse(401, this.policy.auth.realm, "", "auth_unavailable", "authentication unavailable")
      : jsonResponse(failure.status, "auth_unavailable", "authentication service unavailable");
    this.refuseAuth(flow, response, "error", decision.reason, nowMs);
  }

  private applyDecision(flow: Flow, decision: AuthDecision, nowMs: f64): void {
    if (decision.verdict != Verdict.Allow) {
      const status = decision.status;
      const response = status == 401 || status == 403
        ? challengeResponse(status, this.policy.auth.realm, decision.errorCode, decision.errorCode, status == 401 ? "invalid bearer token" : "access denied")
        : jsonResponse(status, "access_denied", "access denied");
      this.refuseAuth(flow, response, "deny", decision.reason, nowMs);
      return;
    }
    const require = flow.route.require;
    if (!require.isEmpty()) {
      const unmet = unmetRequirement(require, decision);
      if (unmet.length > 0) {
        this.refuseAuth(flow, insufficientScopeResponse(this.policy.auth.realm, require, unmet), "deny", "require_" + unmet, nowMs);
        return;
      }
    }
    if (flow.route.authShadow) {
      this.passAuthShadow(flow, "allow", decision.reason, 0, nowMs);
      return;
    }
    flow.section = SECTION_AUTH;
    flow.outcome = "allow";
    flow.reason = decision.reason;
    flow.subject = decision.subject;
    flow.groups = decision.groups;
    const identity = decision.upstreamHeaders;
    if (identity.length > 0) {
      const upstream = flow.upstreamList();
      for (let i = 0; i < identity.length; i++) upstream.push(identity[i]);
    }
    this.afterAuth(flow, nowMs);
  }

  /** An auth refusal: enforced, or recorded and passed on when auth is shadowed. */
  private refuseAuth(flow: Flow, response: LocalResponse, outcome: string, reason: string, nowMs: f64): void {
    if (flow.route.authShadow) this.passAuthShadow(flow, outcome, reason, response.status, nowMs);
    else this.reject(flow, SECTION_AUTH, response, outcome, reason);
  }

  /** A shadowed auth hands nothing on: the request goes on as with auth disabled (no identity, no subject for the
   *  enforcing sections' keys), and its decision is recorded. */
  private passAuthShadow(flow: Flow, outcome: string, reason: string, wouldStatus: i32, nowMs: f64): void {
    recordShadow(flow, SECTION_AUTH, outcome, reason, wouldStatus);
    flow.anonymous = true;
    flow.section = SECTION_AUTH;
    flow.outcome = "anonymous";
    flow.reason = "auth_shadow";
    this.afterAuth(flow, nowMs);
  }

  private afterAuth(flow: Flow, nowMs: f64): void {
    const limit = flow.route.rateLimit;
    if (limit.enabled && limit.keyKind == LimitKeyKind.Subject && !shadowRefused(flow, limit)) {
      flow.phase = Phase.PostAuthLimit;
      this.enterLimit(flow, Pending.PostAuthLimit);
      return;
    }
    this.finish(flow);
  }

  private enterLimit(flow: Flow, pending: i32): void {
    const key = this.limitKey(flow);
    if (key.length == 0) {
      this.askClientIp(flow, pending);
      return;
    }
    flow.limitKey = key;
    flow.limitWindows = flow.phase == Phase.PreAuthIpLimit ? this.preAuthIp!.windows : flow.route.windows;
    flow.step = Step.Limit;
  }

  private askClientIp(flow: Flow, pending: i32): void {
    flow.pending = pending;
    flow.step = Step.ClientIp;
  }

  private finish(flow: Flow): void {
    const canary = flow.route.canary;
    const anonymous = flow.anonymous || flow.subject.length == 0;
    if (canary.enabled && anonymous && flow.request.clientIp.length == 0 && !flow.clientIpResolved) {
      this.askClientIp(flow, Pending.Finish);
      return;
    }
    flow.phase = Phase.Done;
    if (canary.enabled) {
      const r = flow.request;
      const overrideValue = firstHeader(r.headers, canary.overrideHeader);
      const plan = flow.route.canaryPlan;
      const decision = decideCanaryWith(canary, plan.saltState, flow.subject, flow.groups, anonymous, r.clientIp, overrideValue != null ? overrideValue : "");
      if (canary.shadow) {
        // The variant is chosen as if enforcing; the request keeps its route and gets no canary header.
        recordShadow(flow, SECTION_CANARY, decision.canary ? "canary" : "stable", decision.reason, 0);
      } else {
        flow.canary = decision;
        const baggage = canary.baggageKey.length > 0 ? firstHeader(r.headers, "baggage") : null;
        appendCanaryHeaders(plan, canary, decision, baggage != null ? baggage : "", flow.upstreamList());
      }
    }
    flow.stripHeaders = notSetAgain(flow.removeHeaders, flow.upstreamHeaders);
    flow.step = Step.Forward;
  }

  private reject(flow: Flow, section: string, response: LocalResponse, outcome: string, reason: string): void {
    flow.response = response;
    flow.section = section;
    flow.outcome = outcome;
    flow.reason = reason;
    flow.step = Step.Reject;
  }

  /** Key namespaces keep a subject named like an IP from sharing its bucket. Empty = the client IP is
   *  needed and not known yet. */
  private limitKey(flow: Flow): string {
    const limit = flow.route.rateLimit;
    const r = flow.request;
    if (flow.phase == Phase.PreAuthIpLimit) {
      if (r.clientIp.length == 0 && !flow.clientIpResolved) return "";
      return "pre:ip:" + r.clientIp;
    }
    const prefix = flow.route.keyPrefix;
    if (limit.keyKind == LimitKeyKind.Header) {
      const value = firstHeader(r.headers, limit.keyHeader);
      if (value != null && value.length > 0) return prefix + "h:" + limit.keyHeader + ":" + value;
    } else if (limit.keyKind == LimitKeyKind.Subject && flow.subject.length > 0 && !flow.degraded) {
      return flow.route.subjectKeyPrefix + flow.subject;
    }
    if (r.clientIp.length == 0 && !flow.clientIpResolved) return "";
    return prefix + "ip:" + r.clientIp;
  }

  private cacheEntry(decision: AuthDecision, nowMs: f64): CachedDecision {
    const entry = new CachedDecision();
    entry.decision = decision;
    entry.freshUntilMs = nowMs + decision.ttlMs;
    entry.staleUntilMs = entry.freshUntilMs;
    if (decision.verdict == Verdict.Allow) {
      let staleUntil = entry.freshUntilMs + this.policy.auth.cache.staleIfErrorSeconds * 1000;
      if (decision.tokenExpMs > 0 && decision.tokenExpMs < staleUntil) staleUntil = decision.tokenExpMs;
      if (staleUntil > entry.staleUntilMs) entry.staleUntilMs = staleUntil;
    }
    return entry;
  }
}

/** Whether the shadowed pre-auth IP limit already refused this request while `limit` (the main one) is shadowed
 *  too: an enforcing pair would have stopped there, so the main check is not made and counts and state stay as if
 *  enforcing. A route whose own limit enforces still checks it (only the pre-auth IP limit was shadowed). */
function shadowRefused(flow: Flow, limit: RateLimitPolicy): bool {
  if (!limit.shadow) return false;
  const shadows = flow.shadows;
  for (let i = 0; i < shadows.length; i++) if (shadows[i].section == SECTION_RATE_LIMIT && shadows[i].wouldStatus != 0) return true;
  return false;
}

function recordShadow(flow: Flow, section: string, outcome: string, reason: string, wouldStatus: i32): void {
  const shadow = new ShadowDecision();
  shadow.section = section;
  shadow.outcome = outcome;
  shadow.reason = reason;
  shadow.wouldStatus = wouldStatus;
  if (flow.shadows == NO_SHADOWS) flow.shadows = new Array<ShadowDecision>();
  flow.shadows.push(shadow);
}

/** The rate-limit policy the pre-auth IP limit answers as: the main one's status, headers style and name (with
 *  an `-ip` suffix), its own rate. */
function preAuthIpPolicy(limit: RateLimitPolicy): RateLimitPolicy {
  const pre = new RateLimitPolicy();
  pre.enabled = true;
  pre.keyKind = LimitKeyKind.Ip;
  pre.rate = limit.preAuthIp.rate;
  pre.periodSeconds = limit.preAuthIp.periodSeconds;
  pre.burst = limit.preAuthIp.burst;
  pre.headers = limit.headers;
  pre.name = limit.name.length <= 61 ? limit.name + "-ip" : limit.name;
  pre.status = limit.status;
  pre.shadow = limit.shadow;
  return pre;
}

/** Value of the limiter marker when the local store decided because the shared one failed. */
export const LIMITER_FALLBACK = "local-fallback";

/** Names of `removed` that `set` does not set again (compared as the hosts compare them: lower-case names). */
function notSetAgain(removed: Array<string>, set: Array<Header>): Array<string> {
  let kept: i32 = 0;
  for (let i = 0; i < removed.length; i++) if (firstHeader(set, removed[i]) == null) kept++;
  if (kept == removed.length) return removed;
  const out = new Array<string>();
  for (let i = 0; i < removed.length; i++) if (firstHeader(set, removed[i]) == null) out.push(removed[i]);
  return out;
}

/** 403 with `error="insufficient_scope"` (RFC 6750 §3.1); `scope` names the scopes the route asks for when the
 *  unmet requirement is about scopes. */
function insufficientScopeResponse(realm: string, require: Requirements, unmet: string): LocalResponse {
  const response = jsonResponse(403, "insufficient_scope", "the token does not meet this route's requirements");
  let scope = "";
  if (unmet == "scopes") scope = require.scopes.join(" ");
  else if (unmet == "any_scopes") scope = require.anyScopes.join(" ");
  response.headers.unshift(new Header("www-authenticate", bearerChallenge(realm, "insufficient_scope", scope)));
  return response;
}

/** Headers nginx refuses to see twice (ngx_http_headers_in: ngx_http_process_unique_header_line answers 400). */
const UNIQUE_HEADERS: Array<string> = [
  "host", "if-modified-since", "if-unmodified-since", "if-match", "if-none-match", "content-length", "content-range",
  "if-range", "transfer-encoding", "expect", "authorization",
];

/** UNIQUE_HEADERS by length: a name is compared only with the (at most three) unique headers as long as it. */
const UNIQUE_HEADERS_BY_LENGTH: Array<Array<string>> = uniqueHeadersByLength();

function uniqueHeadersByLength(): Array<Array<string>> {
  const byLength = new Array<Array<string>>();
  for (let i = 0; i < UNIQUE_HEADERS.length; i++) {
    const name = UNIQUE_HEADERS[i];
    while (byLength.length <= name.length) byLength.push(new Array<string>());
    byLength[name.length].push(name);
  }
  return byLength;
}

function isUniqueHeader(name: string): bool {
  const n = name.length;
  if (n >= UNIQUE_HEADERS_BY_LENGTH.length) return false;
  const candidates = UNIQUE_HEADERS_BY_LENGTH[n];
  for (let i = 0; i < candidates.length; i++) if (candidates[i] == name) return true;
  return false;
}

/** The first of UNIQUE_HEADERS the request repeats, or "". */
function repeatedUniqueHeader(headers: Array<Header>): string {
  for (let i = 0; i < headers.length; i++) {
    const name = headers[i].name;
    if (!isUniqueHeader(name)) continue;
    for (let j = i + 1; j < headers.length; j++) if (headers[j].name == name) return name;
  }
  return "";
}

/** Header lines a client may send (DECISIONS.md §1.2): Envoy's HTTP/1 codec default `max_headers_count`, which
 *  refuses more with 431 before any filter runs. The Kong plane (nginx has no count limit) applies it itself. */
export const MAX_REQUEST_HEADER_LINES: i32 = 100;

/** Whether a request with this many header lines, as the client sent them (every line counts, repeated names
 *  too; no pseudo-header, nothing a proxy added), is refused with 431. */
export function tooManyRequestHeaders(lines: i32): bool {
  return lines > MAX_REQUEST_HEADER_LINES;
}

/** The 431 answer to too many request headers: the header-count rule's, and the Envoy filter's when a request map
 *  is too large for it to write back. */
export function tooManyHeadersResponse(): LocalResponse {
  return jsonResponse(431, "invalid_request", "too many request headers");
}

/** A reply with an RFC 6750 challenge; `errorCode` goes in the challenge, `bodyError` in the JSON body. */
function challengeResponse(status: i32, realm: string, errorCode: string, bodyError: string, message: string): LocalResponse {
  const response = jsonResponse(status, bodyError, message);
  if (status == 401 || status == 403 || errorCode.length > 0) {
    response.headers.unshift(new Header("www-authenticate", bearerChallenge(realm, errorCode, "")));
  }
  return response;
}

function jsonResponse(status: i32, error: string, message: string): LocalResponse {
  const response = new LocalResponse();
  response.status = status;
  response.headers.push(new Header("content-type", "application/json"));
  response.body = stringifyJson(JsonValue.object().setString("error", error).setString("message", message));
  return response;
}
