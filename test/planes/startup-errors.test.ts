// The same invalid policy, started on both planes through their hosts: the same field named, the same rule.
// Where only the core judges (both planes hand it the document), the lines are identical. Where Kong's schema
// refuses first (type, range, choice, unknown field), Kong words it (`schema violation (config.<path>: …)`); its
// schema is generated from the same field table as the core's rule, so it names the same path and the same bounds
// or choices. A policy incomplete for one plane is refused when that plane starts it, naming the field.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EnvoyHost, type LogEntry } from "../../dev/hosts/envoy/host.js";
import { KongHost } from "../../dev/hosts/kong/gateway.js";
import { KONG_PLUGINS_DIR, MESHGATE_WASM, policyFor, startBackends, type Backends } from "./support.js";

let backends: Backends;
beforeAll(async () => {
  backends = await startBackends();
});
afterAll(async () => {
  await backends?.close();
});

type Doc = Record<string, unknown>;

/** Kong: the host's refusal (the Admin API's schema violation, or the failed StartInstance). */
async function kongRefusal(config: Doc): Promise<string> {
  let host: KongHost;
  try {
    host = await KongHost.start({ pluginsDir: KONG_PLUGINS_DIR, config, serviceUrl: backends.stableUrl });
  } catch (error) {
    if (error instanceof Error) return error.message;
    throw error;
  }
  await host.close();
  throw new Error("Kong started the plugin with this config");
}

/** Envoy: the lines the filter logged when it refused its configuration (the core's errors). */
async function envoyRefusal(config: Doc): Promise<string[]> {
  const logs: LogEntry[] = [];
  let host: EnvoyHost;
  try {
    host = await EnvoyHost.start({ wasm: MESHGATE_WASM, pluginConfig: JSON.stringify(config), clusters: { "auth-service": backends.authUrl }, onLog: (e) => logs.push(e) });
  } catch {
    return logs.filter((e) => e.source === "wasm" && e.level === "error").map((e) => e.message.replace(/^meshgate: invalid configuration: /, ""));
  }
  await host.close();
  throw new Error("Envoy started the filter with this config");
}

describe("start-up errors on both planes", () => {
  it("a mistake only the core judges: the same lines on Kong (StartInstance) and Envoy (on_configure)", async () => {
    const bad = policyFor(backends, {
      auth: { tokenSources: [{ type: "header", name: "bad name" }] },
      canary: { kong: { upstream: "shop-canary", target: "canary.local:8080" } },
      rateLimit: { key: "header:", rate: 5 },
    });
    const envoy = await envoyRefusal(bad);
    expect(envoy).toEqual([
      'auth.tokenSources[0].name: expected header name (token characters, 1..256), got "bad name"',
      'canary.kong: expected "upstream" or "target", got both',
      'rateLimit.key: expected "subject", "ip" or "header:<name>", got "header:"',
    ]);
    expect(await kongRefusal(bad)).toBe(`StartInstance failed: invalid meshgate policy: ${envoy.join("; ")}`);
  });

  it.each([
    ["a wrong type", { rateLimit: { rate: "twenty" } }, "rateLimit.rate", ["integer"]],
    ["a number past its range", { auth: { cache: { negativeTtlSeconds: 86400 } } }, "auth.cache.negativeTtlSeconds", ["0", "3600"]],
    ["a status the core refuses (402)", { auth: { failure: { status: 402 } } }, "auth.failure.status", ["401", "500", "599"]],
    ["a choice that is not one", { rateLimit: { rate: 5, policy: "cluster" } }, "rateLimit.policy", ["local", "redis"]],
  ])("%s: Kong's schema and the core name the same field and the same rule", async (_what, sections, path, rule) => {
    const bad = policyFor(backends, sections as Doc);
    const envoy = await envoyRefusal(bad);
    expect(envoy).toHaveLength(1);
    expect(envoy[0].startsWith(`${path}: expected `)).toBe(true);
    const kong = await kongRefusal(bad);
    expect(kong).toMatch(new RegExp(`^schema violation \\(config\\.${path.replaceAll(".", "\\.")}: [^;]*\\)$`));
    for (const fact of rule) {
      expect(envoy[0]).toContain(fact);
      expect(kong).toContain(fact);
    }
  });

  it("an unknown field: both name it; the core also lists the known fields and suggests the close one", async () => {
    const bad = policyFor(backends, { rateLimit: { rate: 5, perSecond: 1 } });
    expect(await envoyRefusal(bad)).toEqual([
      'rateLimit.perSecond: unknown field, did you mean "periodSeconds"? (known: enabled, key, rate, periodSeconds, burst, policy, ' +
        "faultTolerant, redis, headers, name, status, preAuthIp, limits, shadow)",
    ]);
    expect(await kongRefusal(bad)).toBe("schema violation (config.rateLimit.perSecond: unknown field)");
  });

  it("a policy complete for the other plane only is refused when the plane starts it, naming the field", async () => {
    const envoyOnly = { auth: { service: { cluster: "auth-service", authority: "auth.local", path: "/introspect" } } };
    expect(await kongRefusal(envoyOnly)).toBe("StartInstance failed: invalid meshgate policy: auth.service.url: expected absolute http " +
      "or https URL on the Kong plane (auth is enabled: Kong calls the auth service there), got nothing");
    const kongOnly = { auth: { service: { url: `${backends.authUrl}/introspect` } } };
    expect(await envoyRefusal(kongOnly)).toEqual(['auth.service: expected "cluster" + "authority" + "path" on the Envoy plane ' +
      '(auth is enabled: Envoy calls the auth service through a cluster it knows), got only "url"']);
  });
});
