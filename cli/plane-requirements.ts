// What rendering for a plane needs beyond the core's checks (whether the policy is complete for the plane is the
// core's planeGaps, which the plane itself applies when it loads the policy), and what it warns about.
import { isIP } from "node:net";
import { isJsonObject, memberOf } from "./json-value";
import type { JsonObject, JsonValue } from "./json-value";

export type Section = "auth" | "canary" | "rateLimit";

/** A section that is present is enabled unless it says `"enabled": false` (shared/README.md). */
export function sectionEnabled(document: JsonObject, section: Section): boolean {
  const value = memberOf(document, section);
  return isJsonObject(value) && memberOf(value, "enabled") !== false;
}

/** The value at a dotted path of plain member names, or undefined. */
export function valueAt(document: JsonObject, path: string): JsonValue | undefined {
  let current: JsonValue | undefined = document;
  for (const key of path.split(".")) {
    if (!isJsonObject(current)) return undefined;
    current = memberOf(current, key);
  }
  return current;
}

function isSet(document: JsonObject, path: string): boolean {
  const value = valueAt(document, path);
  return typeof value === "string" ? value.length > 0 : value !== undefined && value !== null;
}

export function kongRefusals(document: JsonObject): string[] {
  const refusals: string[] = [];
  if (sectionEnabled(document, "rateLimit") && valueAt(document, "rateLimit.policy") === "redis" && !isSet(document, "rateLimit.redis.host")) {
    refusals.push("rateLimit.policy is \"redis\" but rateLimit.redis.host is not set: the default 127.0.0.1 is never the " +
      "shared Redis of a Kong cluster; name it explicitly");
  }
  return refusals;
}

/**
 * Kong keeps the balancer type of the Service's host (kong/runloop/handler.lua balancer_prepare): with an IP
 * there, kong.service.set_upstream and set_target(hostname) only swap the host, which the balancer then hands
 * nginx as an IP address — every canary request fails with 500 (kong/runloop/balancer/init.lua execute;
 * Kong/kong#12201). A Service named by hostname (or by an Upstream's name) routes both.
 */
export function kongServiceRefusals(document: JsonObject, serviceUrl: string): string[] {
  if (!sectionEnabled(document, "canary")) return [];
  const serviceHost = unbracketed(new URL(serviceUrl).hostname);
  if (isIP(serviceHost) === 0) return [];
  const upstream = valueAt(document, "canary.kong.upstream");
  const target = valueAt(document, "canary.kong.target");
  let routedBy: string | null = null;
  if (typeof upstream === "string" && upstream.length > 0) routedBy = `canary.kong.upstream "${upstream}" (kong.service.set_upstream)`;
  else if (typeof target === "string" && target.includes(":")) {
    const targetHost = unbracketed(target.slice(0, target.lastIndexOf(":")));
    if (isIP(targetHost) === 0) routedBy = `canary.kong.target "${target}" (kong.service.set_target with a hostname)`;
  }
  if (routedBy === null) return [];
  return [`the Service's host ${serviceHost} is an IP address, so Kong cannot route ${routedBy}: it keeps the Service's ` +
    "IP balancer and every canary request fails with 500 (Kong/kong#12201). Name the Service by hostname or by an " +
    "Upstream (--service-url http://stable.default.svc:8080), or give canary.kong.target an IP address"];
}

function unbracketed(host: string): string {
  return host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
}

export function kongWarnings(document: JsonObject): string[] {
  const warnings: string[] = [];
  if (sectionEnabled(document, "canary") && !isSet(document, "canary.kong.upstream") && !isSet(document, "canary.kong.target")) {
    warnings.push("canary is enabled without canary.kong.upstream or canary.kong.target: Kong only sets the tag header, " +
      "every request still goes to the Service's own upstream");
  }
  for (const secret of ["auth.introspectionAuthorization", "rateLimit.redis.password"]) {
    const value = valueAt(document, secret);
    if (typeof value === "string" && value.length > 0 && !value.startsWith("{vault://")) {
      warnings.push(`${secret} is a secret written in plain text: use a Kong vault reference such as {vault://env/meshgate-secret}, ` +
        "or KongPlugin configFrom.secretKeyRef");
    }
  }
  return warnings;
}

export function envoyWarnings(document: JsonObject, mode: string): string[] {
  const warnings: string[] = [];
  if (mode === "sidecar-inbound" && sectionEnabled(document, "canary")) {
    warnings.push("canary is enabled but --mode sidecar-inbound cannot route: on the inbound side the route already points at " +
      "the local app, so the tag header changes nothing. Run the filter on the gateway or on the caller's outbound side " +
      "(--mode gateway | sidecar-outbound)");
  }
  if (sectionEnabled(document, "rateLimit") && valueAt(document, "rateLimit.policy") === "redis") {
    warnings.push("rateLimit.policy \"redis\" is Kong only: the Envoy plane keeps its limits in proxy-wasm shared data (one limit per proxy)");
  }
  if (isSet(document, "auth.introspectionAuthorization")) {
    warnings.push("auth.introspectionAuthorization is a secret and pluginConfig is plain text in the resource: render it " +
      "from a Kubernetes Secret at deploy time (External Secrets, SOPS) instead of committing it");
  }
  return warnings;
}
