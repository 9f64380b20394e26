// Is a valid policy complete for one plane? The parser accepts a document complete for either plane (one
// document serves both); each plane refuses, when it loads the policy, one that lacks what it needs itself:
// the Kong plugin at instance start, the Envoy filter in on_configure, `meshgate render` before it prints.

import { AuthMode, AuthServiceAddress, Policy } from "./policy";

export const enum Plane { Kong = 0, Envoy = 1 }

/** One error line per missing field (`<path>: expected <what> on the <plane> plane …, got …`); empty = complete. */
export function planeGaps(policy: Policy, plane: i32): Array<string> {
  const gaps = new Array<string>();
  const auth = policy.auth;
  if (!auth.enabled) return gaps;
  if (auth.mode == AuthMode.Jwt) {
    jwksGaps(auth.jwt.jwks, plane, gaps);
    return gaps;
  }
  const service = auth.service;
  if (plane == Plane.Kong) {
    if (service.url.length == 0) {
      gaps.push("auth.service.url: expected absolute http or https URL on the Kong plane (auth is enabled: Kong calls the auth service there), got nothing");
    }
  } else if (service.cluster.length == 0) {
    // The parser refuses a partial trio: here it is all missing, and `url` is what the document gave instead.
    gaps.push("auth.service: expected \"cluster\" + \"authority\" + \"path\" on the Envoy plane (auth is enabled: Envoy calls the auth " +
      "service through a cluster it knows), got only \"url\"");
  }
  return gaps;
}

/** `jwt` mode fetches the key set instead of calling the auth service: the same address rule, at `auth.jwt.jwks`. */
function jwksGaps(jwks: AuthServiceAddress, plane: i32, gaps: Array<string>): void {
  if (plane == Plane.Kong) {
    if (jwks.url.length == 0) {
      gaps.push("auth.jwt.jwks.url: expected absolute http or https URL on the Kong plane (auth.mode is \"jwt\": Kong fetches the key set there), got nothing");
    }
  } else if (jwks.cluster.length == 0) {
    gaps.push("auth.jwt.jwks: expected \"cluster\" + \"authority\" + \"path\" on the Envoy plane (auth.mode is \"jwt\": Envoy fetches the key " +
      "set through a cluster it knows), got only \"url\"");
  }
}

/** `kong` or `envoy` → Plane, -1 otherwise. */
export function planeNamed(name: string): i32 {
  if (name == "kong") return Plane.Kong;
  if (name == "envoy") return Plane.Envoy;
  return -1;
}
