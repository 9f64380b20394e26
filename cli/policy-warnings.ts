// Warnings about a valid policy that does less than its reader may think, printed by every command (exit 0;
// `--strict` makes them errors).
import type { JsonObject, JsonValue } from "./json-value";
import { isJsonObject } from "./json-value";
import { addressWarning } from "./address-concerns";

/** `effective`: the policy with every default (CheckedPolicy.effective). */
export function policyWarnings(effective: JsonObject): string[] {
  const auth = section(effective, "auth");
  const canary = section(effective, "canary");
  const limit = section(effective, "rateLimit");
  const warnings: string[] = [];
  if (!auth && !canary && !limit) {
    warnings.push("the policy enforces nothing: auth, canary and rateLimit are all left out or switched off");
  }
  if (auth) {
    const service = isJsonObject(auth.service) ? auth.service : {};
    addAddress(warnings, "auth.service.url", service.url, "each Kong node would call itself, not the auth service");
  }
  if (limit && limit.policy === "redis" && isJsonObject(limit.redis)) {
    addAddress(warnings, "rateLimit.redis.host", limit.redis.host, "each Kong node would count in a Redis of its own, so the limit is per node");
  }
  if (canary && isJsonObject(canary.kong)) addAddress(warnings, "canary.kong.target", canary.kong.target, "each Kong node would send the canary share to itself");
  const key = limit && typeof limit.key === "string" ? limit.key : "";
  if (auth && key.startsWith("header:") && !isJsonObject(limit?.preAuthIp)) {
    warnings.push(`rateLimit.key "${key}" is chosen by the client: a new value per request is a new bucket, so it does not ` +
      "protect the auth service from a flood of bad tokens; add rateLimit.preAuthIp (a limit by client IP before the token is read)");
  }
  return warnings;
}

/** The section when it is enabled, else null. */
function section(effective: JsonObject, name: string): JsonObject | null {
  const value = effective[name];
  return isJsonObject(value) && value.enabled === true ? value : null;
}

function addAddress(warnings: string[], path: string, value: JsonValue | undefined, loopbackMeans: string): void {
  if (typeof value !== "string" || value.length === 0) return;
  const warning = addressWarning(path, value, loopbackMeans);
  if (warning) warnings.push(warning);
}
