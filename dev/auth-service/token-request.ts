import { SIGNING_ALGORITHMS, type SigningAlgorithm, isSigningAlgorithm } from "./signing-keys.js";
import { type Checked, firstUnknownKey, invalid, isPlainObject, valid } from "./validation.js";

export interface NormalizedTokenRequest {
  sub: string;
  groups: string[];
  ttlSeconds: number;
  scope: string | null;
  clientId: string | null;
  /** null: the service's default algorithm. */
  alg: SigningAlgorithm | null;
}

const KNOWN_FIELDS = ["sub", "groups", "ttlSeconds", "scope", "client_id", "alg"] as const;
export const MAX_TTL_SECONDS = 86400;
const MAX_GROUPS = 64;
// Values travel later in HTTP headers (x-auth-subject, x-auth-groups), so only visible ASCII and inner spaces.
const HEADER_SAFE_TEXT = /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/;
// RFC 6749 §3.3 scope-token characters, tokens separated by single spaces.
const SCOPE = /^[\x21\x23-\x5b\x5d-\x7e]+(?: [\x21\x23-\x5b\x5d-\x7e]+)*$/;

export function checkTokenRequest(input: unknown, defaultTtlSeconds: number): Checked<NormalizedTokenRequest> {
  if (!isPlainObject(input)) return invalid("body", "the body must be a JSON object");
  const unknownKey = firstUnknownKey(input, KNOWN_FIELDS);
  if (unknownKey !== null) return invalid(unknownKey, `unknown field '${unknownKey}' (known: ${KNOWN_FIELDS.join(", ")})`);

  const sub = input.sub;
  if (typeof sub !== "string" || sub.length < 1 || sub.length > 256) {
    return invalid("sub", "sub is required: a string of 1..256 characters");
  }
  if (!HEADER_SAFE_TEXT.test(sub)) {
    return invalid("sub", "sub must be printable ASCII without leading or trailing spaces");
  }

  const groups = checkGroups(input.groups);
  if (!groups.ok) return groups;

  const ttl = input.ttlSeconds ?? defaultTtlSeconds;
  if (typeof ttl !== "number" || !Number.isInteger(ttl) || ttl < 1 || ttl > MAX_TTL_SECONDS) {
    return invalid("ttlSeconds", `ttlSeconds must be an integer from 1 to ${MAX_TTL_SECONDS}`);
  }

  const scope = input.scope ?? null;
  if (scope !== null && (typeof scope !== "string" || scope.length > 1024 || !SCOPE.test(scope))) {
    return invalid("scope", "scope must be space-separated scope tokens (RFC 6749 §3.3), at most 1024 characters");
  }

  const clientId = input.client_id ?? null;
  if (clientId !== null && (typeof clientId !== "string" || clientId.length > 256 || !HEADER_SAFE_TEXT.test(clientId))) {
    return invalid("client_id", "client_id must be printable ASCII of 1..256 characters");
  }

  const alg = input.alg ?? null;
  if (alg !== null && !isSigningAlgorithm(alg)) {
    return invalid("alg", `alg must be one of ${SIGNING_ALGORITHMS.join(", ")}`);
  }

  return valid({ sub, groups: groups.value, ttlSeconds: ttl, scope, clientId, alg });
}

function checkGroups(groups: unknown): Checked<string[]> {
  if (groups === undefined) return valid([]);
  if (!Array.isArray(groups) || groups.length > MAX_GROUPS) {
    return invalid("groups", `groups must be an array of at most ${MAX_GROUPS} strings`);
  }
  const checked: string[] = [];
  for (const [index, group] of groups.entries()) {
    // Groups are joined with "," in x-auth-groups, so a comma inside one would split it.
    if (typeof group !== "string" || group.length > 128 || !HEADER_SAFE_TEXT.test(group) || group.includes(",")) {
      const field = `groups[${index}]`;
      return invalid(field, `${field} must be printable ASCII of 1..128 characters without commas`);
    }
    checked.push(group);
  }
  return valid(checked);
}

