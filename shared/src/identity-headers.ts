// The headers meshgate sets upstream as identity: both planes strip them from every client request
// before anything else, whether or not auth is enabled, so a client can never forge an identity.
import { Policy } from "./policy";

/** Subject, groups, every header-mapping target and the degraded marker: lowercase, without duplicates. */
export function identityHeaderNames(policy: Policy): Array<string> {
  const auth = policy.auth;
  const names = new Array<string>();
  addName(names, auth.subjectHeader);
  addName(names, auth.groupsHeader);
  for (let i = 0; i < auth.headerMappings.length; i++) addName(names, auth.headerMappings[i].to);
  addName(names, auth.failure.degradedHeader);
  return names;
}

function addName(names: Array<string>, name: string): void {
  const lower = name.toLowerCase();
  if (lower.length > 0 && !names.includes(lower)) names.push(lower);
}
