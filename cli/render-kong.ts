// `meshgate render kong`: a decK / DB-less kong.yml (Service, Route, the meshgate plugin, the canary
// Upstream when the policy names one) and the same config as a Kong Ingress Controller KongPlugin.
import { kongConfigFor } from "./kong-config";
import { deepCopy } from "./json-value";
import type { JsonObject } from "./json-value";
import type { RenderedDocument } from "./output";
import { kongRefusals, kongServiceRefusals, kongWarnings, valueAt } from "./plane-requirements";

export type KongDocumentChoice = "all" | "deck" | "kic";

export interface KongRenderOptions {
  serviceUrl: string;
  name: string;
  canaryTarget: string;
  only: KongDocumentChoice;
}

export const KONG_DEFAULTS = {
  serviceUrl: "http://stable.default.svc:8080",
  name: "app",
  canaryTarget: "canary.default.svc:8080",
} as const;

export interface RenderOutcome {
  documents: RenderedDocument[];
  warnings: string[];
  /** Non-empty: the policy cannot be rendered for this plane; nothing is printed. */
  refusals: string[];
}

export function renderKong(document: JsonObject, sourceName: string, options: KongRenderOptions): RenderOutcome {
  const refusals = [...kongRefusals(document), ...kongServiceRefusals(document, options.serviceUrl)];
  const converted = kongConfigFor(document);
  if (converted.config === null) refusals.push(...converted.errors);
  if (refusals.length > 0 || converted.config === null) return { documents: [], warnings: [], refusals };
  const config = converted.config;
  const upstream = valueAt(document, "canary.kong.upstream");
  const canaryUpstream = typeof upstream === "string" && upstream.length > 0 ? upstream : null;
  const documents: RenderedDocument[] = [];
  if (options.only !== "kic") documents.push(deckDocument(config, sourceName, options, canaryUpstream));
  if (options.only !== "deck") documents.push(kongPluginDocument(config, options, canaryUpstream, options.only === "all"));
  return { documents, warnings: kongWarnings(document), refusals: [] };
}

function deckDocument(config: JsonObject, sourceName: string, options: KongRenderOptions, canaryUpstream: string | null): RenderedDocument {
  const comment = [
    `decK / DB-less kong.yml, rendered by \`meshgate render kong\` from ${sourceName}.`,
    "Kong must load the plugin: kong.conf `plugins = bundled,meshgate` and its pluginserver entry (kong-plugins/examples/kong.conf).",
  ];
  const value: JsonObject = {
    _format_version: "3.0",
    services: [{
      name: options.name,
      url: options.serviceUrl,
      routes: [{ name: options.name, paths: ["/"] }],
      plugins: [{ name: "meshgate", config: deepCopy(config) }],
    }],
  };
  if (canaryUpstream !== null) {
    comment.push(options.canaryTarget === KONG_DEFAULTS.canaryTarget
      ? `Upstream ${canaryUpstream} receives the canary share; its target is a placeholder: point it at the canary (--canary-target).`
      : `Upstream ${canaryUpstream} receives the canary share (target from --canary-target).`);
    value.upstreams = [{ name: canaryUpstream, targets: [{ target: options.canaryTarget, weight: 100 }] }];
  }
  return { comment, value };
}

function kongPluginDocument(config: JsonObject, options: KongRenderOptions, canaryUpstream: string | null, afterDeck: boolean): RenderedDocument {
  const name = `${options.name}-meshgate`;
  const comment = [
    "Kong Ingress Controller: the same config as a KongPlugin. Attach it with the annotation",
    `konghq.com/plugins: ${name} on a Service, Ingress or HTTPRoute.`,
  ];
  if (afterDeck) comment.unshift("Apply the decK document above or this one, not both.");
  if (canaryUpstream !== null) {
    comment.push("KIC generates Kong Upstreams from Services (named <service>.<namespace>.<port>.svc): make canary.kong.upstream",
      "the one generated for the canary Service.");
  }
  return {
    comment,
    value: {
      apiVersion: "configuration.konghq.com/v1",
      kind: "KongPlugin",
      metadata: { name },
      plugin: "meshgate",
      config: deepCopy(config),
    },
  };
}
