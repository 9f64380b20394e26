// Request headers meshgate owns: it sets them upstream, so no client may send them in any spelling
// (DECISIONS.md §1.3). Names are compared folded — ASCII case, `-`, `_` and `.` all equal — because PHP,
// CGI, WSGI and Rack map `X.Auth_Groups` and `x-auth-groups` to the same variable.
import { Header } from "./headers";
import { identityHeaderNames } from "./identity-headers";
import { CanaryPolicy, Policy, RateLimitPolicy } from "./policy";

/** Marks responses whose limit the Kong plane decided locally while Redis was down. */
export const LIMITER_MARKER_HEADER = "x-meshgate-limiter";

/** Every name meshgate owns under this policy, folded: identity, groups, mapped claims, degraded marker (unless
 *  auth is shadowed everywhere), canary tag and override (when canary is on and not shadowed), limiter marker
 *  (when rate limiting is on and not shadowed) — on the top level or on any route. A name that one route
 *  enforces is owned on every request, so a client cannot forge it for any route; a section shadowed on the top
 *  level and on every route leaves the client's headers alone: the system it shadows may rely on them
 *  (SECURITY.md, "Shadow mode"). */
export function ownedHeaderNames(policy: Policy): Array<string> {
  const names = new Array<string>();
  const authEnforced = enforcesAuth(policy);
  if (authEnforced) {
    const identity = identityHeaderNames(policy);
    for (let i = 0; i < identity.length; i++) addFolded(names, identity[i]);
  }
  addCanaryNames(names, policy.canary);
  let limited = enforcesLimit(policy.rateLimit);
  for (let i = 0; i < policy.routes.length; i++) {
    const route = policy.routes[i];
    if (authEnforced) addFolded(names, route.failure.degradedHeader);
    addCanaryNames(names, route.canary);
    if (enforcesLimit(route.rateLimit)) limited = true;
  }
  if (limited) addFolded(names, LIMITER_MARKER_HEADER);
  return names;
}

/** ASCII lower case with `_` and `.` read as `-`. Other bytes stay as they are (never decoded). */
export function foldHeaderName(name: string): string {
  let plain = true;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if ((c >= 0x41 && c <= 0x5a) || c == 0x5f || c == 0x2e) { plain = false; break; }
  }
  if (plain) return name;
  let out = "";
  for (let i = 0; i < name.length; i++) {
    let c = name.charCodeAt(i);
    if (c >= 0x41 && c <= 0x5a) c += 0x20;
    else if (c == 0x5f || c == 0x2e) c = 0x2d;
    out += String.fromCharCode(c);
  }
  return out;
}

/** The names, exactly as the client sent them, of every request header that folds to an owned name. */
export function ownedHeadersSent(owned: Array<string>, headers: Array<Header>, none: Array<string>): Array<string> {
  // Folding keeps a name's length: a header no owned name is as long as (most of them) is neither folded nor
  // compared with the list. Bit n of `lengths`: some owned name has n < 31 characters.
  let lengths: i32 = 0;
  let longNames = false;
  for (let i = 0; i < owned.length; i++) {
    const n = owned[i].length;
    if (n < 31) lengths |= 1 << n;
    else longNames = true;
  }
  let out = none;
  for (let i = 0; i < headers.length; i++) {
    const name = headers[i].name;
    const n = name.length;
    if (n < 31 ? (lengths & (1 << n)) == 0 : !longNames) continue;
    if (!owned.includes(foldHeaderName(name)) || out.includes(name)) continue;
    if (out == none) out = new Array<string>();
    out.push(name);
  }
  return out;
}

function addFolded(names: Array<string>, name: string): void {
  const folded = foldHeaderName(name);
  if (folded.length > 0 && !names.includes(folded)) names.push(folded);
}

function addCanaryNames(names: Array<string>, canary: CanaryPolicy): void {
  if (!canary.enabled || canary.shadow) return;
  addFolded(names, canary.tagHeader);
  addFolded(names, canary.overrideHeader);
}

/** Whether auth acts on some request: not shadowed on the top level, or not on one route. */
function enforcesAuth(policy: Policy): bool {
  if (!policy.auth.enabled || !policy.auth.shadow) return true;
  for (let i = 0; i < policy.routes.length; i++) if (!policy.routes[i].authShadow) return true;
  return false;
}

function enforcesLimit(limit: RateLimitPolicy): bool {
  return limit.enabled && !limit.shadow;
}
