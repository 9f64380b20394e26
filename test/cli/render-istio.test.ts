import { describe, expect, it } from "vitest";
import { fixture, runCli } from "./support/cli";
import { effectivePolicy, readPolicy } from "./support/policy";
import { asRecord, at, yamlDocuments } from "./support/yaml-docs";

async function renderIstio(args: string[], stdin?: string): Promise<{ wasmPlugin: unknown; envoyFilter: unknown; stderr: string }> {
  const result = await runCli(["render", "istio", ...args], { stdin });
  expect(result.code, result.stderr).toBe(0);
  const [wasmPlugin, envoyFilter] = yamlDocuments(result.stdout);
  return { wasmPlugin, envoyFilter, stderr: result.stderr };
}

function configurationOf(envoyFilter: unknown): unknown {
  const configuration = at(envoyFilter, "spec", "configPatches", 0, "patch", "value", "typed_config", "config", "configuration");
  expect(at(configuration, "@type")).toBe("type.googleapis.com/google.protobuf.StringValue");
  return JSON.parse(String(at(configuration, "value"))) as unknown;
}

/** A module URL that is not the placeholder default (which gets a warning of its own). */
const REAL_URL = "oci://ghcr.io/shop/meshgate:0.1.0";

describe("meshgate render istio", () => {
  it("renders a WasmPlugin for the ingress gateway by default", async () => {
    const { wasmPlugin } = await renderIstio([fixture("full.yaml")]);
    expect(asRecord(wasmPlugin)).toMatchObject({
      apiVersion: "extensions.istio.io/v1alpha1",
      kind: "WasmPlugin",
      metadata: { name: "meshgate", namespace: "istio-system" },
      spec: {
        selector: { matchLabels: { istio: "ingressgateway" } },
        url: "oci://registry.example.com/meshgate:0.1.0",
        imagePullPolicy: "IfNotPresent",
        phase: "AUTHN",
        pluginName: "meshgate",
        failStrategy: "FAIL_CLOSE",
        match: [{ mode: "CLIENT" }],
      },
    });
  });

  it("carries the policy as written in pluginConfig, and it round-trips to the same effective policy", async () => {
    const { wasmPlugin } = await renderIstio([fixture("full.yaml")]);
    const source = readPolicy(fixture("full.yaml"));
    const pluginConfig = at(wasmPlugin, "spec", "pluginConfig");
    expect(pluginConfig).toEqual(source);
    expect(await effectivePolicy(pluginConfig)).toEqual(await effectivePolicy(source));
  });

  it("renders the EnvoyFilter variant: wasm filter before the router, root_id and vm_id meshgate, policy as a JSON string", async () => {
    const { envoyFilter } = await renderIstio([fixture("full.json")]);
    expect(asRecord(envoyFilter)).toMatchObject({
      apiVersion: "networking.istio.io/v1alpha3",
      kind: "EnvoyFilter",
      metadata: { name: "meshgate", namespace: "istio-system" },
      spec: { workloadSelector: { labels: { istio: "ingressgateway" } } },
    });
    const patch = at(envoyFilter, "spec", "configPatches", 0);
    expect(at(patch, "applyTo")).toBe("HTTP_FILTER");
    expect(at(patch, "match", "context")).toBe("GATEWAY");
    expect(at(patch, "match", "listener", "filterChain", "filter", "subFilter", "name")).toBe("envoy.filters.http.router");
    expect(at(patch, "patch", "operation")).toBe("INSERT_BEFORE");
    const typed = at(patch, "patch", "value", "typed_config");
    expect(at(typed, "@type")).toBe("type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm");
    expect(asRecord(at(typed, "config"))).toMatchObject({
      root_id: "meshgate",
      vm_config: { vm_id: "meshgate", runtime: "envoy.wasm.runtime.v8", code: { local: { filename: "/var/local/wasm/meshgate.wasm" } } },
      fail_open: false,
    });
    expect(configurationOf(envoyFilter)).toEqual(readPolicy(fixture("full.json")));
  });

  it.each([
    ["gateway", "GATEWAY", "CLIENT"],
    ["sidecar-outbound", "SIDECAR_OUTBOUND", "CLIENT"],
    ["sidecar-inbound", "SIDECAR_INBOUND", "SERVER"],
  ])("--mode %s: EnvoyFilter context %s, WasmPlugin match mode %s", async (mode, context, workloadMode) => {
    const { wasmPlugin, envoyFilter } = await renderIstio([fixture("envoy-only.yaml"), "--mode", mode, "--namespace", "shop", "--selector", "app=api"]);
    expect(at(wasmPlugin, "spec", "match")).toEqual([{ mode: workloadMode }]);
    expect(at(wasmPlugin, "spec", "selector")).toEqual({ matchLabels: { app: "api" } });
    expect(at(wasmPlugin, "metadata", "namespace")).toBe("shop");
    expect(at(envoyFilter, "spec", "configPatches", 0, "match", "context")).toBe(context);
    expect(at(envoyFilter, "spec", "workloadSelector")).toEqual({ labels: { app: "api" } });
  });

  it("defaults a sidecar mode to every workload of the namespace default", async () => {
    const { wasmPlugin, envoyFilter } = await renderIstio([fixture("envoy-only.yaml"), "--mode", "sidecar-outbound"]);
    expect(at(wasmPlugin, "metadata", "namespace")).toBe("default");
    expect(asRecord(at(wasmPlugin, "spec")).selector).toBeUndefined();
    expect(asRecord(at(envoyFilter, "spec")).workloadSelector).toBeUndefined();
  });

  it("restricts both documents to one port with --port, and takes several --selector labels", async () => {
    const { wasmPlugin, envoyFilter } = await renderIstio([fixture("envoy-only.yaml"), "--mode", "sidecar-outbound", "--port", "8080", "--selector", "app=frontend", "--selector", "tier=web"]);
    expect(at(wasmPlugin, "spec", "match")).toEqual([{ mode: "CLIENT", ports: [{ number: 8080 }] }]);
    expect(at(envoyFilter, "spec", "configPatches", 0, "match", "listener", "portNumber")).toBe(8080);
    expect(at(wasmPlugin, "spec", "selector", "matchLabels")).toEqual({ app: "frontend", tier: "web" });
  });

  it("uses a file:// module for both documents, and pins an OCI module with --sha256", async () => {
    const file = await renderIstio([fixture("envoy-only.yaml"), "--url", "file:///opt/wasm/meshgate.wasm"]);
    expect(at(file.wasmPlugin, "spec", "url")).toBe("file:///opt/wasm/meshgate.wasm");
    expect(asRecord(at(file.wasmPlugin, "spec")).imagePullPolicy).toBeUndefined();
    expect(at(file.envoyFilter, "spec", "configPatches", 0, "patch", "value", "typed_config", "config", "vm_config", "code", "local", "filename")).toBe("/opt/wasm/meshgate.wasm");
    const digest = "a".repeat(64);
    const pinned = await renderIstio([fixture("envoy-only.yaml"), "--url", "oci://registry.internal/meshgate:1.0.0", "--sha256", digest, "--only", "wasmplugin"]);
    expect(at(pinned.wasmPlugin, "spec", "sha256")).toBe(digest);
    expect(pinned.envoyFilter).toBeUndefined();
  });

  it("refuses a policy whose auth lacks the Envoy address, naming the missing fields", async () => {
    const result = await runCli(["render", "istio", fixture("kong-only.json")]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toBe('meshgate: cannot render for istio: auth.service: expected "cluster" + "authority" + "path" on the Envoy plane ' +
      '(auth is enabled: Envoy calls the auth service through a cluster it knows), got only "url"\n');
  });

  it("renders a policy with auth switched off without any auth address", async () => {
    const { wasmPlugin } = await renderIstio(["-"], JSON.stringify({ auth: { enabled: false }, canary: { percentage: 5 } }));
    expect(at(wasmPlugin, "spec", "pluginConfig")).toEqual({ auth: { enabled: false }, canary: { percentage: 5 } });
  });

  it("warns that a canary cannot route from the inbound side, and only there", async () => {
    expect((await renderIstio([fixture("envoy-only.yaml"), "--mode", "sidecar-inbound"])).stderr).toContain("warning: canary is enabled but --mode sidecar-inbound cannot route");
    expect((await renderIstio([fixture("envoy-only.yaml"), "--mode", "sidecar-outbound", "--url", REAL_URL])).stderr).toBe("");
    const authOnly = { auth: at(readPolicy(fixture("envoy-only.yaml")), "auth") };
    expect((await renderIstio(["-", "--mode", "sidecar-inbound", "--url", REAL_URL], JSON.stringify(authOnly))).stderr).toBe("");
  });

  it("warns that redis is Kong only and that a secret ends up in plain text", async () => {
    const source = readPolicy(fixture("envoy-only.yaml")) as Record<string, Record<string, unknown>>;
    const withSecret = { ...source, auth: { ...source.auth, introspectionAuthorization: "Basic c2VjcmV0" }, rateLimit: { rate: 5, policy: "redis", redis: { host: "r" } } };
    const { stderr } = await renderIstio(["-"], JSON.stringify(withSecret));
    expect(stderr).toContain('rateLimit.policy "redis" is Kong only');
    expect(stderr).toContain("auth.introspectionAuthorization is a secret");
    expect(stderr).not.toContain("c2VjcmV0");
  });

  it("warns about the placeholder module URL when --url is not given, and about a placeholder registry in --url", async () => {
    expect((await renderIstio([fixture("envoy-only.yaml")])).stderr).toContain(
      "meshgate: warning: --url not given: the WasmPlugin pulls the placeholder image oci://registry.example.com/meshgate:");
    expect((await renderIstio([fixture("envoy-only.yaml"), "--url", "oci://registry.example.com/meshgate:1"])).stderr).toContain(
      'meshgate: warning: --url "oci://registry.example.com/meshgate:1" is a placeholder name');
  });

  it("--strict: a warning is an error, nothing is printed and the exit status is 1", async () => {
    const result = await runCli(["render", "istio", fixture("envoy-only.yaml"), "--strict"]);
    expect(result).toMatchObject({ code: 1, stdout: "" });
    expect(result.stderr).toMatch(/^meshgate: error \(--strict\): --url not given/);
    expect((await runCli(["render", "istio", fixture("envoy-only.yaml"), "--strict", "--url", REAL_URL])).code).toBe(0);
  });

  it("refuses unknown modes and URL schemes Istio cannot load here with a usage error", async () => {
    for (const args of [["--mode", "ambient"], ["--url", "https://example.com/meshgate.wasm"], ["--url", "file://relative.wasm"], ["--selector", "app"], ["--sha256", "XYZ"], ["--port", "70000"], ["--only", "deck"]]) {
      const result = await runCli(["render", "istio", fixture("envoy-only.yaml"), ...args]);
      expect(result.code, args.join(" ")).toBe(2);
    }
  });

  it("is deterministic and prints JSON documents with --format json", async () => {
    const first = await runCli(["render", "istio", fixture("full.yaml")]);
    expect((await runCli(["render", "istio", fixture("full.yaml")])).stdout).toBe(first.stdout);
    const json = await runCli(["render", "istio", fixture("full.yaml"), "--only", "wasmplugin", "--format", "json"]);
    expect(at(JSON.parse(json.stdout), "spec", "pluginConfig")).toEqual(readPolicy(fixture("full.yaml")));
  });
});
