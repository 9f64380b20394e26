// Warnings about a valid policy that does less than its reader may think, printed by every command.
import type { JsonObject } from "./json-value";
import { isJsonObject } from "./json-value";

/** `effective`: the policy with every default (CheckedPolicy.effective). */
export function policyWarnings(effective: JsonObject): string[] {
  const warnings: string[] = [];
  const auth = effective.auth;
  const limit = effective.rateLimit;
  if (!isJsonObject(auth) || !isJsonObject(limit) || auth.enabled !== true || limit.enabled !== true) return warnings;
  const key = typeof limit.key === "string" ? limit.key : "";
  if (key.startsWith("header:") && !isJsonObject(limit.preAuthIp)) {
    warnings.push(`rateLimit.key "${key}" is chosen by the client: a new value per request is a new bucket, so it does not ` +
      "protect the auth service from a flood of bad tokens; add rateLimit.preAuthIp (a limit by client IP before the token is read)");
  }
  return warnings;
}
