// `meshgate render istio`: a WasmPlugin carrying the policy as pluginConfig and, as an alternative, the
// EnvoyFilter that inserts the same filter by hand (explicit vm_id, configuration as a JSON string).
import { meshgateKongSchema } from "./kong-config";
import { orderLikeSchema } from "./kong-schema";
import { deepCopy } from "./json-value";
import type { JsonObject } from "./json-value";
import type { RenderedDocument } from "./output";
import { envoyWarnings } from "./plane-requirements";
import type { RenderOutcome } from "./render-kong";

export type IstioMode = "gateway" | "sidecar-outbound" | "sidecar-inbound";
export type IstioDocumentChoice = "all" | "wasmplugin" | "envoyfilter";

export interface IstioRenderOptions {
  name: string;
  /** Empty: the mode's default namespace. */
  namespace: string;
  /** Null: the mode's default selector (gateway: istio=ingressgateway; sidecars: every workload of the namespace). */
  selector: Record<string, string> | null;
  url: string;
  sha256: string;
  mode: IstioMode;
  /** Only traffic to (outbound) or on (inbound, gateway) this port; null = every port. */
  port: number | null;
  only: IstioDocumentChoice;
}

/** The root id the filter registers; Istio passes WasmPlugin.pluginName as root_id. */
const ROOT_ID = "meshgate";
const LOCAL_WASM_PATH = "/var/local/wasm/meshgate.wasm";

const MODES: Record<IstioMode, { context: string; workloadMode: string; namespace: string; selector: Record<string, string> | null }> = {
  gateway: { context: "GATEWAY", workloadMode: "CLIENT", namespace: "istio-system", selector: { istio: "ingressgateway" } },
  "sidecar-outbound": { context: "SIDECAR_OUTBOUND", workloadMode: "CLIENT", namespace: "default", selector: null },
  "sidecar-inbound": { context: "SIDECAR_INBOUND", workloadMode: "SERVER", namespace: "default", selector: null },
};

export function defaultWasmUrl(version: string): string {
  return `oci://registry.example.com/meshgate:${version}`;
}

export function renderIstio(document: JsonObject, sourceName: string, options: IstioRenderOptions): RenderOutcome {
  const policy = orderLikeSchema(meshgateKongSchema, document) as JsonObject;
  const mode = MODES[options.mode];
  const namespace = options.namespace || mode.namespace;
  const selector = options.selector ?? mode.selector;
  const documents: RenderedDocument[] = [];
  if (options.only !== "envoyfilter") documents.push(wasmPlugin(policy, sourceName, options, namespace, selector));
  if (options.only !== "wasmplugin") documents.push(envoyFilter(policy, options, namespace, selector, options.only === "all"));
  return { documents, warnings: envoyWarnings(document, options.mode), refusals: [] };
}

function wasmPlugin(policy: JsonObject, sourceName: string, options: IstioRenderOptions, namespace: string, selector: Record<string, string> | null): RenderedDocument {
  const spec: JsonObject = {};
  if (selector) spec.selector = { matchLabels: { ...selector } };
  spec.url = options.url;
  if (options.sha256) spec.sha256 = options.sha256;
  if (options.url.startsWith("oci://")) spec.imagePullPolicy = "IfNotPresent";
  spec.phase = "AUTHN";
  spec.pluginName = ROOT_ID;
  spec.failStrategy = "FAIL_CLOSE";
  spec.match = [options.port === null ? { mode: MODES[options.mode].workloadMode } : { mode: MODES[options.mode].workloadMode, ports: [{ number: options.port }] }];
  spec.pluginConfig = deepCopy(policy);
  const comment = [
    `Istio WasmPlugin for meshgate, rendered by \`meshgate render istio --mode ${options.mode}\` from ${sourceName}.`,
    "FAIL_CLOSE: if the module cannot load or traps, requests get 503 instead of passing unchecked.",
  ];
  if (options.url.startsWith("oci://")) {
    comment.push("Without a registry: url: file:///var/local/wasm/meshgate.wasm (mount the module into the proxy, see",
      "istio-manifests/README.md).");
    if (!options.sha256) comment.push("Pin the module with sha256: <hex of the image digest> (--sha256).");
  }
  return {
    comment,
    value: { apiVersion: "extensions.istio.io/v1alpha1", kind: "WasmPlugin", metadata: { name: options.name, namespace }, spec },
  };
}

function envoyFilter(policy: JsonObject, options: IstioRenderOptions, namespace: string, selector: Record<string, string> | null, afterWasmPlugin: boolean): RenderedDocument {
  const local = options.url.startsWith("file://") ? options.url.slice("file://".length) : LOCAL_WASM_PATH;
  const comment = [
    "The EnvoyFilter variant of the same filter (Istio without WasmPlugin, or when an explicit vm_id is wanted).",
    `It loads the module from a file inside the proxy (${local}): mount it there, see istio-manifests/README.md.`,
  ];
  if (afterWasmPlugin) comment.unshift("Apply the WasmPlugin above or this EnvoyFilter, not both.");
  const spec: JsonObject = {};
  if (selector) spec.workloadSelector = { labels: { ...selector } };
  spec.configPatches = [{
    applyTo: "HTTP_FILTER",
    match: {
      context: MODES[options.mode].context,
      listener: {
        ...(options.port === null ? {} : { portNumber: options.port }),
        filterChain: {
          filter: { name: "envoy.filters.network.http_connection_manager", subFilter: { name: "envoy.filters.http.router" } },
        },
      },
    },
    patch: {
      operation: "INSERT_BEFORE",
      value: {
        name: ROOT_ID,
        typed_config: {
          "@type": "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm",
          config: {
            name: ROOT_ID,
            root_id: ROOT_ID,
            vm_config: {
              vm_id: ROOT_ID,
              runtime: "envoy.wasm.runtime.v8",
              code: { local: { filename: local } },
            },
            configuration: {
              "@type": "type.googleapis.com/google.protobuf.StringValue",
              value: JSON.stringify(policy),
            },
            fail_open: false,
          },
        },
      },
    },
  }];
  return {
    comment,
    value: { apiVersion: "networking.istio.io/v1alpha3", kind: "EnvoyFilter", metadata: { name: options.name, namespace }, spec },
  };
}
