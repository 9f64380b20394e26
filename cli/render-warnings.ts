// Warnings about what `render` would print from the flags it was given (or left at their placeholder defaults):
// addresses that reach nowhere real, and flags the policy makes meaningless.
import { addressWarning } from "./address-concerns";
import type { JsonObject } from "./json-value";
import { valueAt } from "./plane-requirements";
import { KONG_DEFAULTS } from "./render-kong";
import type { KongRenderOptions } from "./render-kong";
import type { IstioRenderOptions } from "./render-istio";

export function kongRenderWarnings(document: JsonObject, given: ReadonlySet<string>, options: KongRenderOptions): string[] {
  const warnings: string[] = [];
  if (!given.has("service-url")) {
    warnings.push(`--service-url not given: the Service points at the placeholder ${KONG_DEFAULTS.serviceUrl}; pass the stable upstream's URL`);
  } else {
    push(warnings, addressWarning("--service-url", options.serviceUrl, "Kong would proxy every request back to itself"));
  }
  const upstream = valueAt(document, "canary.kong.upstream");
  const rendersUpstream = typeof upstream === "string" && upstream.length > 0;
  if (given.has("canary-target") && !rendersUpstream) {
    warnings.push("--canary-target has no effect: the policy has no canary.kong.upstream, so no canary Upstream is rendered");
  } else if (rendersUpstream && !given.has("canary-target")) {
    warnings.push(`--canary-target not given: the canary Upstream "${upstream}" gets the placeholder target ${KONG_DEFAULTS.canaryTarget}`);
  } else if (rendersUpstream) {
    push(warnings, addressWarning("--canary-target", options.canaryTarget, "Kong would send the canary share back to itself"));
  }
  return warnings;
}

export function istioRenderWarnings(given: ReadonlySet<string>, options: IstioRenderOptions): string[] {
  if (!given.has("url")) return [`--url not given: the WasmPlugin pulls the placeholder image ${options.url}; pass the published module's oci:// URL`];
  const warnings: string[] = [];
  if (options.url.startsWith("oci://")) push(warnings, addressWarning("--url", options.url, "no proxy can pull from its own loopback"));
  return warnings;
}

function push(warnings: string[], warning: string | null): void {
  if (warning !== null) warnings.push(warning);
}
