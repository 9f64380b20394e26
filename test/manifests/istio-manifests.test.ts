import { describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { builtCli, repoRoot, runCli } from "../cli/support/cli";
import { effectivePolicy, readPolicy } from "../cli/support/policy";
import { at, yamlDocuments } from "../cli/support/yaml-docs";
import { istioSchemaErrors } from "./support/istio-schemas";
import { idOf, kustomizationFile, kustomizeBuild, loadYaml } from "./support/kustomize";
import type { K8sObject } from "./support/kustomize";
import { testTempDir } from "../support/temp-dir.js";

const manifests = join(repoRoot, "istio-manifests");
const ROOTS = ["base", "overlays/test", "overlays/production", "envoyfilter", "jwt"];
/** Files in istio-manifests/ that are not Kubernetes manifests. */
const NOT_MANIFESTS = new Set(["policy.yaml", "policy-caller.yaml", "policy-jwt.yaml"]);

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return yamlFiles(path);
    return /\.ya?ml$/.test(name) ? [path] : [];
  });
}

function builtObjects(root: string): K8sObject[] {
  return kustomizeBuild(join(manifests, root)).objects;
}

function find(objects: K8sObject[], kind: string, name: string): K8sObject {
  const found = objects.find((object) => object.kind === kind && at(object, "metadata", "name") === name);
  if (!found) throw new Error(`no ${kind} ${name}`);
  return found;
}

describe("istio-manifests against Istio's CRD schemas", () => {
  const resourceFiles = yamlFiles(manifests).filter((path) => !NOT_MANIFESTS.has(relative(manifests, path)) && kustomizationFile(join(path, "..")) !== path);

  it.each(resourceFiles.map((path) => [relative(manifests, path), path]))("%s: every Istio object validates", async (_name, path) => {
    const documents = loadYaml(path);
    expect(documents.length).toBeGreaterThan(0);
    for (const document of documents) {
      if (Array.isArray(document)) continue; // a JSON 6902 patch: checked through the overlay build below
      const object = document as K8sObject;
      if (!String(object.apiVersion).includes("istio.io")) throw new Error(`${path}: unexpected ${String(object.apiVersion)}`);
      // A strategic-merge patch is a fragment (no host, no url…): it is validated after the overlay build.
      if (isPatchFile(path)) continue;
      expect(await istioSchemaErrors(object), idOf(object)).toEqual([]);
    }
  });

  it.each(ROOTS)("%s: the kustomize build validates object by object", async (root) => {
    const objects = builtObjects(root);
    expect(objects.length).toBeGreaterThan(0);
    for (const object of objects) expect(await istioSchemaErrors(object), idOf(object)).toEqual([]);
  });

  it("the schema check rejects what Istio would reject (so the checks above can fail)", async () => {
    const plugin = find(builtObjects("base"), "WasmPlugin", "meshgate");
    expect(await istioSchemaErrors({ ...plugin, spec: { ...(plugin.spec as object), phase: "BEFORE_EVERYTHING" } })).not.toEqual([]);
    expect(await istioSchemaErrors({ ...plugin, spec: { ...(plugin.spec as object), match: [{ mode: "EVERYWHERE" }] } })).not.toEqual([]);
    const rule = find(builtObjects("overlays/production"), "DestinationRule", "api");
    const bad = structuredClone(rule);
    (at(bad, "spec", "trafficPolicy", "connectionPool", "http") as Record<string, unknown>).http2MaxRequests = "ten";
    expect(await istioSchemaErrors(bad)).not.toEqual([]);
  });

  it.each(["gateway", "sidecar-outbound", "sidecar-inbound"])("the CLI's --mode %s output validates", async (mode) => {
    const result = await runCli(["render", "istio", "istio-manifests/policy.yaml", "--mode", mode, "--port", "8080", "--sha256", "0".repeat(64)]);
    const documents = yamlDocuments(result.stdout) as K8sObject[];
    expect(documents.map((doc) => doc.kind)).toEqual(["WasmPlugin", "EnvoyFilter"]);
    for (const document of documents) expect(await istioSchemaErrors(document), idOf(document)).toEqual([]);
  });
});

function isPatchFile(path: string): boolean {
  return relative(manifests, path).startsWith("overlays/");
}

describe("istio-manifests kustomizations", () => {
  it("every resource and patch they name exists, and every manifest belongs to one of them", () => {
    const read = new Set(ROOTS.flatMap((root) => kustomizeBuild(join(manifests, root)).files));
    const orphans = yamlFiles(manifests).filter((path) => !NOT_MANIFESTS.has(relative(manifests, path)) && !read.has(path));
    expect(orphans.map((path) => relative(manifests, path))).toEqual([]);
  });

  it("the emulated build refuses what kustomize would not build the same way", () => {
    const dir = testTempDir("meshgate-kustomize-");
    const write = (name: string, text: string): void => { execFileSync("sh", ["-c", `cat > '${join(dir, name)}'`], { input: text }); };
    write("kustomization.yaml", "resources: [missing.yaml]\n");
    expect(() => kustomizeBuild(dir)).toThrow(/missing.yaml does not exist/);
    write("dr.yaml", "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: a, namespace: n}\nspec: {host: a}\n");
    write("patch.yaml", "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: a, namespace: n}\nspec: {subsets: [{name: x}]}\n");
    write("kustomization.yaml", "resources: [dr.yaml]\npatches: [{path: patch.yaml}]\n");
    expect(() => kustomizeBuild(dir)).toThrow(/holds a list at \/spec\/subsets/);
    write("kustomization.yaml", "resources: [dr.yaml]\nnamePrefix: x-\n");
    expect(() => kustomizeBuild(dir)).toThrow(/namePrefix is not supported/);
  });
});

describe("the base: filter placement and canary routing", () => {
  const base = builtObjects("base");
  const policy = readPolicy("istio-manifests/policy.yaml") as Record<string, Record<string, unknown>>;

  it("runs the filter at the ingress gateway with the policy, AUTHN phase, FAIL_CLOSE and root id meshgate", async () => {
    const gateway = find(base, "WasmPlugin", "meshgate");
    expect(at(gateway, "metadata", "namespace")).toBe("istio-system");
    expect(at(gateway, "spec", "selector", "matchLabels")).toEqual({ istio: "ingressgateway" });
    expect(at(gateway, "spec", "url")).toMatch(/^oci:\/\//);
    expect(at(gateway, "spec", "phase")).toBe("AUTHN");
    expect(at(gateway, "spec", "failStrategy")).toBe("FAIL_CLOSE");
    expect(at(gateway, "spec", "pluginName")).toBe("meshgate");
    expect(at(gateway, "spec", "match")).toEqual([{ mode: "CLIENT" }]);
    expect(at(gateway, "spec", "pluginConfig")).toEqual(policy);
    const text = readFileSync(join(manifests, "base/wasmplugin-gateway.yaml"), "utf8");
    expect(text).toContain("# Without a registry: url: file:///var/local/wasm/meshgate.wasm");
  });

  it("runs a caller-side (match: CLIENT) filter for east-west canary, with policy.yaml minus rateLimit (routes' too)", async () => {
    const caller = find(base, "WasmPlugin", "meshgate-caller");
    expect(at(caller, "spec", "match")).toEqual([{ mode: "CLIENT", ports: [{ number: 8080 }] }]);
    expect(at(caller, "spec", "selector", "matchLabels")).toEqual({ app: "frontend" });
    const { rateLimit: _limits, ...rest } = policy;
    const routes = (rest.routes as unknown as Array<Record<string, unknown>> | undefined)?.map(({ rateLimit: _routeLimits, ...route }) => route);
    const withoutLimits = routes ? { ...rest, routes } : rest;
    expect(readPolicy("istio-manifests/policy-caller.yaml")).toEqual(withoutLimits);
    expect(at(caller, "spec", "pluginConfig")).toEqual(withoutLimits);
    expect(await effectivePolicy(at(caller, "spec", "pluginConfig"))).toBeTruthy();
  });

  it("gives the auth service a DestinationRule for exactly the cluster the policy calls: outlier detection and a pool", () => {
    const cluster = String(policy.auth.service && (policy.auth.service as Record<string, unknown>).cluster);
    const [direction, port, subset, host] = cluster.split("|");
    expect([direction, subset]).toEqual(["outbound", ""]);
    const rule = find(base, "DestinationRule", "auth");
    expect(at(rule, "spec", "host")).toBe(host);
    expect(String((policy.auth.service as Record<string, unknown>).authority)).toBe(`${host}:${port}`);
    expect(at(rule, "spec", "trafficPolicy", "outlierDetection")).toMatchObject({ consecutive5xxErrors: 3, interval: "10s", baseEjectionTime: "30s" });
    expect(at(rule, "spec", "trafficPolicy", "connectionPool", "tcp", "connectTimeout")).toBe("100ms");
    expect(Number(at(policy, "auth", "timeoutMs"))).toBeGreaterThan(100);
  });

  it("routes the tag header the policy sets (and its baggage member) to the canary subset, everything else to stable", () => {
    const service = find(base, "VirtualService", "api");
    const rule = find(base, "DestinationRule", "api");
    const subsets = (at(rule, "spec", "subsets") as Array<{ name: string }>).map((subset) => subset.name);
    expect(subsets).toEqual(["stable", "canary"]);
    const [canary, stable] = at(service, "spec", "http") as unknown[];
    expect(at(canary, "match", 0, "headers")).toEqual({ [String(policy.canary.tagHeader)]: { exact: "true" } });
    expect(at(canary, "route", 0, "destination", "subset")).toBe("canary");
    expect(at(stable, "route", 0, "destination", "subset")).toBe("stable");
    expect((stable as Record<string, unknown>).match).toBeUndefined();
    expect(at(service, "spec", "gateways")).toContain("mesh");
    // Envoy's regex header match is a full match (RE2); these patterns mean the same in JavaScript.
    const baggage = new RegExp(String(at(canary, "match", 1, "headers", "baggage", "regex")));
    expect(policy.canary.baggageKey).toBe("canary");
    for (const value of ["canary=canary", "userId=7,canary=canary", "a=b, canary = canary;ttl=1, c=d"]) expect(baggage.test(value), value).toBe(true);
    for (const value of ["canary=stable", "notcanary=canary", "canary=canaryx", "a=canary=canary"]) expect(baggage.test(value), value).toBe(false);
  });
});

describe("overlays", () => {
  it("production: least-request for the base service, consistent hash on the verified subject for the business service", () => {
    const objects = builtObjects("overlays/production");
    expect(at(find(objects, "DestinationRule", "auth"), "spec", "trafficPolicy", "loadBalancer")).toEqual({ simple: "LEAST_REQUEST" });
    const api = find(objects, "DestinationRule", "api");
    expect(at(api, "spec", "trafficPolicy", "loadBalancer")).toEqual({ consistentHash: { httpHeaderName: "x-auth-subject" } });
    expect(at(api, "spec", "trafficPolicy", "outlierDetection")).toEqual({ consecutive5xxErrors: 3, interval: "10s", baseEjectionTime: "30s" });
    expect(at(api, "spec", "trafficPolicy", "connectionPool")).toEqual({
      tcp: { connectTimeout: "500ms" },
      http: { http1MaxPendingRequests: 10, http2MaxRequests: 10, maxRequestsPerConnection: 2 },
    });
    expect(at(api, "spec", "subsets")).toHaveLength(2);
    // the auth service keeps its own protection from the base
    expect(at(find(objects, "DestinationRule", "auth"), "spec", "trafficPolicy", "outlierDetection", "consecutive5xxErrors")).toBe(3);
  });

  it("production: 3 retries of 2 s on 5xx, reset and connect-failure on every api route", () => {
    const routes = at(find(builtObjects("overlays/production"), "VirtualService", "api"), "spec", "http") as unknown[];
    for (const route of routes) expect(at(route, "retries")).toEqual({ attempts: 3, perTryTimeout: "2s", retryOn: "5xx,reset,connect-failure" });
  });

  it("test: the release-candidate module, always pulled, on every WasmPlugin", () => {
    const plugins = builtObjects("overlays/test").filter((object) => object.kind === "WasmPlugin");
    expect(plugins).toHaveLength(2);
    for (const plugin of plugins) {
      expect(at(plugin, "spec", "url")).toBe("oci://registry.example.com/meshgate:0.1.0-rc");
      expect(at(plugin, "spec", "imagePullPolicy")).toBe("Always");
    }
    expect(at(find(builtObjects("overlays/test"), "DestinationRule", "api"), "spec")).toEqual(at(find(builtObjects("base"), "DestinationRule", "api"), "spec"));
  });

  it("the EnvoyFilter variant replaces the WasmPlugins: GATEWAY and SIDECAR_OUTBOUND, explicit vm_id, same routing", () => {
    const objects = builtObjects("envoyfilter");
    expect(objects.filter((object) => object.kind === "WasmPlugin")).toEqual([]);
    const filters = objects.filter((object) => object.kind === "EnvoyFilter");
    expect(filters.map((filter) => at(filter, "spec", "configPatches", 0, "match", "context"))).toEqual(["GATEWAY", "SIDECAR_OUTBOUND"]);
    for (const filter of filters) {
      expect(at(filter, "spec", "configPatches", 0, "patch", "value", "typed_config", "config", "vm_config", "vm_id")).toBe("meshgate");
      expect(at(filter, "spec", "configPatches", 0, "patch", "value", "typed_config", "config", "root_id")).toBe("meshgate");
    }
    expect(JSON.parse(String(at(filters[0], "spec", "configPatches", 0, "patch", "value", "typed_config", "config", "configuration", "value")))).toEqual(readPolicy("istio-manifests/policy.yaml"));
    const routing = (list: K8sObject[]): string[] => list.filter((object) => object.kind !== "WasmPlugin" && object.kind !== "EnvoyFilter").map(idOf);
    expect(routing(objects)).toEqual(routing(builtObjects("base")));
  });
});

describe("the jwt-mode example", () => {
  const objects = builtObjects("jwt");
  const policy = readPolicy("istio-manifests/policy-jwt.yaml") as { auth: { mode: string; jwt: { jwks: Record<string, string>; issuers: string[] } } };

  it("runs the gateway filter with policy-jwt.yaml, which both planes accept, and the same routing as the base", async () => {
    const gateway = find(objects, "WasmPlugin", "meshgate");
    expect(at(gateway, "spec", "pluginConfig")).toEqual(policy);
    expect(at(gateway, "spec", "failStrategy")).toBe("FAIL_CLOSE");
    expect(policy.auth.mode).toBe("jwt");
    expect(await effectivePolicy(policy)).toBeTruthy();
    const routing = (list: K8sObject[]): string[] =>
      list.filter((object) => object.kind !== "WasmPlugin" && at(object, "metadata", "name") !== "login-example-com").map(idOf);
    expect(routing(objects)).toEqual(routing(builtObjects("base")));
  });

  it("the key set's cluster is the ServiceEntry's: host, port and authority agree, and that port originates TLS to 443", () => {
    const jwks = policy.auth.jwt.jwks;
    const [direction, port, subset, host] = String(jwks.cluster).split("|");
    expect([direction, subset]).toEqual(["outbound", ""]);
    expect(jwks.authority).toBe(host);
    expect(new URL(String(jwks.url)).pathname).toBe(jwks.path);
    expect(new URL(String(jwks.url)).host).toBe(host);
    const entry = find(objects, "ServiceEntry", "login-example-com");
    expect(at(entry, "spec", "hosts")).toEqual([host]);
    expect(at(entry, "spec", "location")).toBe("MESH_EXTERNAL");
    const ports = at(entry, "spec", "ports") as Array<{ number: number; protocol: string; targetPort?: number }>;
    expect(ports.find((p) => p.number === Number(port))).toMatchObject({ protocol: "HTTP", targetPort: 443 });
    const rule = find(objects, "DestinationRule", "login-example-com");
    expect(at(rule, "spec", "host")).toBe(host);
    const settings = at(rule, "spec", "trafficPolicy", "portLevelSettings") as Array<{ port: { number: number }; tls: Record<string, unknown> }>;
    expect(settings.find((s) => s.port.number === Number(port))?.tls).toEqual({ mode: "SIMPLE", sni: host });
  });
});

describe("generated manifests and the OCI image", () => {
  it("the committed generated manifests are exactly what render.sh produces from the policies", async () => {
    const out = testTempDir("meshgate-render-");
    execFileSync("bash", [join(manifests, "render.sh"), out], { env: { ...process.env, MESHGATE_CLI: await builtCli() }, stdio: "pipe" });
    for (const file of ["base/wasmplugin-gateway.yaml", "base/wasmplugin-caller.yaml", "envoyfilter/envoyfilter-gateway.yaml", "envoyfilter/envoyfilter-sidecar-outbound.yaml", "jwt/wasmplugin-gateway.yaml"]) {
      expect(readFileSync(join(manifests, file), "utf8"), `${file} is stale: run istio-manifests/render.sh`).toBe(readFileSync(join(out, file), "utf8"));
    }
  });

  it("packages meshgate.wasm as plugin.wasm in a scratch image", () => {
    const lines = readFileSync(join(manifests, "oci/Dockerfile"), "utf8").split("\n").filter((line) => line && !line.startsWith("#"));
    expect(lines).toEqual(["FROM scratch", "COPY meshgate.wasm plugin.wasm"]);
  });
});
