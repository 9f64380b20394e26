// Authorization requirements (`require`, policy-routes.ts) judged against what the auth service said. The
// decision holds the token's scopes, audiences, groups and the claims requirements read (auth.ts keeps them
// when the policy has requirements), so a cached decision answers every route without another auth call.
import { AuthDecision } from "./decision";
import { Requirements } from "./policy-routes";

/** "" when every requirement is met, else which one is not: "scopes", "any_scopes", "groups", "audience",
 *  "claim" (checked in that order). */
export function unmetRequirement(require: Requirements, decision: AuthDecision): string {
  for (let i = 0; i < require.scopes.length; i++) if (!decision.scopes.includes(require.scopes[i])) return "scopes";
  if (require.anyScopes.length > 0 && !sharesOne(require.anyScopes, decision.scopes)) return "any_scopes";
  if (require.groups.length > 0 && !sharesOne(require.groups, decision.groups)) return "groups";
  if (require.audiences.length > 0 && !sharesOne(require.audiences, decision.audiences)) return "audience";
  for (let i = 0; i < require.claimNames.length; i++) {
    if (!claimHolds(decision, require.claimNames[i], require.claimValues[i])) return "claim";
  }
  return "";
}

function sharesOne(wanted: Array<string>, held: Array<string>): bool {
  for (let i = 0; i < wanted.length; i++) if (held.includes(wanted[i])) return true;
  return false;
}

function claimHolds(decision: AuthDecision, name: string, accepted: Array<string>): bool {
  for (let i = 0; i < decision.claims.length; i++) {
    const claim = decision.claims[i];
    if (claim.name == name && accepted.includes(claim.value)) return true;
  }
  return false;
}
