// The stack's own decisions without starting anything: port variables, how one policy is wired to each plane,
// and how a gateway's access line becomes the request log.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Plane, planeGaps } from "../../shared/src/plane-completeness";
import { AuthMode } from "../../shared/src/policy";
import { parsePolicy } from "../../shared/src/policy-parse";
import { describe, expect, it } from "vitest";
import { parseAccessLine } from "../../dev/stack/access-log.js";
import { loadPolicyFile, parsePolicyText, planeSetups } from "../../dev/stack/policy.js";
import { DEFAULT_PORTS, portsFromEnv, StackConfigError } from "../../dev/stack/ports.js";

const backends = { auth: "http://127.0.0.1:41000", stable: "http://127.0.0.1:41001", canary: "http://127.0.0.1:41002" };
const defaultPolicy = join(import.meta.dirname, "../../dev/policy.yaml");

describe("port variables", () => {
  it("default to the npm start ports and take each *_PORT variable", () => {
    expect(portsFromEnv({})).toEqual(DEFAULT_PORTS);
    expect(portsFromEnv({ KONG_PORT: "18000", ENVOY_PORT: "0" })).toEqual({ ...DEFAULT_PORTS, kong: 18000, envoy: 0 });
  });

  it("reject a value that is not a port, naming the variable", () => {
    expect(() => portsFromEnv({ AUTH_PORT: "90x" })).toThrow(/AUTH_PORT must be a port number 0\.\.65535.*'90x'/);
    expect(() => portsFromEnv({ CANARY_PORT: "70000" })).toThrow(StackConfigError);
    expect(() => portsFromEnv({ STABLE_PORT: "-1" })).toThrow(/STABLE_PORT/);
  });

  it("reject two processes on one fixed port", () => {
    expect(() => portsFromEnv({ KONG_PORT: "9000" })).toThrow(/AUTH_PORT and KONG_PORT are both 9000/);
  });
});

describe("one policy wired to both planes", () => {
  it("points the default policy's Kong URL, Envoy cluster and Kong canary target at the stack's processes", () => {
    const setups = planeSetups(loadPolicyFile(defaultPolicy), backends);
    const auth = setups.policy["auth"] as { service: Record<string, string> };
    expect(auth.service).toEqual({ url: "http://127.0.0.1:41000/introspect", cluster: "auth-service", authority: "auth.local", path: "/introspect" });
    expect((setups.policy["canary"] as { kong: unknown }).kong).toEqual({ target: "127.0.0.1:41002" });
    expect(setups.kong.serviceUrl).toBe(backends.stable);
    expect(setups.envoy.clusters).toEqual({ "auth-service": backends.auth, stable: backends.stable, canary: backends.canary });
    expect(setups.envoy.routes).toEqual(["x-canary:true=canary", "*=stable"]);
    expect(JSON.parse(setups.envoy.pluginConfig)).toEqual(setups.policy);
  });

  it("keeps the rest of the policy as written", () => {
    const source = loadPolicyFile(defaultPolicy);
    const setups = planeSetups(source, backends);
    expect(setups.policy["rateLimit"]).toEqual(source["rateLimit"]);
    expect((setups.policy["auth"] as Record<string, unknown>)["cache"]).toEqual((source["auth"] as Record<string, unknown>)["cache"]);
  });

  it("creates the Kong Upstream entity a policy routes the canary to by name", () => {
    const setups = planeSetups({ canary: { percentage: 5, kong: { upstream: "shop-canary" } } }, backends);
    expect(setups.kong.upstreams).toEqual({ "shop-canary": ["127.0.0.1:41002"] });
    expect(setups.kong.serviceUrl).toBe(backends.stable.replace("//127.0.0.1:", "//localhost:")); // IP Services cannot set_upstream
    expect((setups.policy["canary"] as { kong: unknown }).kong).toEqual({ upstream: "shop-canary" });
  });

  it("routes on the policy's tag header, and not at all without one", () => {
    expect(planeSetups({ canary: { tagHeader: "X-Variant" } }, backends).envoy.routes).toEqual(["x-variant:true=canary", "*=stable"]);
    expect(planeSetups({ canary: { tagHeader: "" } }, backends).envoy.routes).toEqual(["*=stable"]);
    expect(planeSetups({ canary: { enabled: false } }, backends).envoy.routes).toEqual(["*=stable"]);
  });

  it("fills in the forward-mode endpoint when a policy gives no URL", () => {
    const setups = planeSetups({ auth: { mode: "forward", service: { cluster: "outbound|8080||auth" } } }, backends);
    const service = (setups.policy["auth"] as { service: Record<string, string> }).service;
    expect(service.url).toBe("http://127.0.0.1:41000/verify");
    expect(setups.envoy.clusters["outbound|8080||auth"]).toBe(backends.auth);
  });

  it("points a jwt-mode policy's key set at the stack's auth service on both planes", () => {
    const setups = planeSetups({ auth: { mode: "jwt", jwt: { jwks: { url: "http://127.0.0.1:9000/.well-known/jwks.json" }, issuers: ["meshgate-dev-auth"] } } }, backends);
    const jwt = (setups.policy["auth"] as { jwt: { jwks: Record<string, string> } }).jwt;
    expect(jwt.jwks).toEqual({ url: "http://127.0.0.1:41000/.well-known/jwks.json", cluster: "auth-service", authority: "auth.local", path: "/.well-known/jwks.json" });
    expect(setups.envoy.clusters["auth-service"]).toBe(backends.auth);
  });

  it("the default policy's documented switch to jwt mode gives a policy complete for both planes", () => {
    const text = readFileSync(defaultPolicy, "utf8");
    // The switch as the comment says: the commented `mode: jwt` block, uncommented, in place of `mode: introspection`.
    const switched = text.split("\n").filter((line) => line !== "  mode: introspection")
      .map((line) => (line.startsWith("  #   ") ? `  ${line.slice(6)}` : line)).join("\n");
    const setups = planeSetups(parsePolicyText(switched, "dev/policy.yaml"), backends);
    const parsed = parsePolicy(JSON.stringify(setups.policy));
    expect(parsed.errors).toEqual([]);
    expect(parsed.policy!.auth.mode).toBe(AuthMode.Jwt);
    expect(planeGaps(parsed.policy!, Plane.Kong)).toEqual([]);
    expect(planeGaps(parsed.policy!, Plane.Envoy)).toEqual([]);
    expect(parsed.policy!.auth.jwt.jwks.url).toBe("http://127.0.0.1:41000/.well-known/jwks.json");
  });

  it("refuses a policy that is not YAML or not a mapping, naming the file", () => {
    expect(() => parsePolicyText("auth: [\n", "my.yaml")).toThrow(/my\.yaml: not valid YAML/);
    expect(() => parsePolicyText("- a\n- b\n", "list.yaml")).toThrow(/list\.yaml: the policy must be a mapping/);
    expect(() => loadPolicyFile("/nonexistent/policy.yaml")).toThrow(/cannot read the policy file \/nonexistent\/policy\.yaml/);
  });
});

describe("the request log", () => {
  const variantOf = (upstream: string): string => (upstream === "http://127.0.0.1:41002" || upstream === "canary" ? "canary" : "stable");

  it("turns a gateway access line into method, path, status, plane, variant and time", () => {
    expect(parseAccessLine("access GET /orders/42 200 http://127.0.0.1:41002 3.4ms", "kong", variantOf))
      .toEqual({ method: "GET", path: "/orders/42", status: 200, plane: "kong", variant: "canary", ms: 3.4 });
    expect(parseAccessLine("access POST /x 401 - 0.9ms", "envoy", variantOf))
      .toEqual({ method: "POST", path: "/x", status: 401, plane: "envoy", variant: "local", ms: 0.9 });
  });

  it("ignores every other line", () => {
    expect(parseAccessLine("kong-host listening on http://127.0.0.1:8000", "kong", variantOf)).toBeNull();
    expect(parseAccessLine("[envoy-host] [worker 0] [info] wasm log: access GET / 200 - 1ms", "envoy", variantOf)).toBeNull();
  });
});
