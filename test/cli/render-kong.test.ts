import { describe, expect, it } from "vitest";
import { fixture, runCli } from "./support/cli";
import { coreErrors, effectivePolicy, readPolicy, throughKong } from "./support/policy";
import { asRecord, at, yamlDocuments } from "./support/yaml-docs";

async function renderKong(args: string[], stdin?: string): Promise<{ deck: unknown; kongPlugin: unknown; stderr: string }> {
  const result = await runCli(["render", "kong", ...args], { stdin });
  expect(result.code, result.stderr).toBe(0);
  const [deck, kongPlugin] = yamlDocuments(result.stdout);
  return { deck, kongPlugin, stderr: result.stderr };
}

describe("meshgate render kong", () => {
  it("renders a decK kong.yml with a Service, a Route, the plugin and the canary Upstream", async () => {
    const { deck } = await renderKong([fixture("full.yaml")]);
    expect(at(deck, "_format_version")).toBe("3.0");
    const service = at(deck, "services", 0);
    expect(at(service, "name")).toBe("app");
    expect(at(service, "url")).toBe("http://stable.default.svc:8080");
    expect(at(service, "routes")).toEqual([{ name: "app", paths: ["/"] }]);
    expect(at(service, "plugins", 0, "name")).toBe("meshgate");
    expect(at(deck, "upstreams")).toEqual([{ name: "shop-canary", targets: [{ target: "canary.default.svc:8080", weight: 100 }] }]);
  });

  it("puts the policy as written into config, for decK and for the KongPlugin", async () => {
    const { deck, kongPlugin } = await renderKong([fixture("full.yaml")]);
    const source = readPolicy(fixture("full.yaml"));
    expect(at(deck, "services", 0, "plugins", 0, "config")).toEqual(source);
    expect(asRecord(kongPlugin)).toMatchObject({ apiVersion: "configuration.konghq.com/v1", kind: "KongPlugin", metadata: { name: "app-meshgate" }, plugin: "meshgate" });
    expect(at(kongPlugin, "config")).toEqual(source);
  });

  it("only writes the fields the policy sets", async () => {
    const { deck } = await renderKong([fixture("kong-only.json")]);
    expect(at(deck, "services", 0, "plugins", 0, "config")).toEqual(readPolicy(fixture("kong-only.json")));
    expect(asRecord(deck).upstreams).toBeUndefined();
  });

  it.each(["full.yaml", "kong-only.json", "redis-with-host.yaml", "disabled-sections.yaml"])(
    "%s: the config passes Kong's schema and, as Kong hands it to the plugin, the core validator, with the same effective policy",
    async (name) => {
      const { deck } = await renderKong([fixture(name)]);
      const kong = throughKong(at(deck, "services", 0, "plugins", 0, "config"));
      expect(kong.errors).toEqual([]);
      expect(await coreErrors(kong.document)).toEqual([]);
      expect(await effectivePolicy(kong.document)).toEqual(await effectivePolicy(readPolicy(fixture(name))));
    },
  );

  it.each([
    [true, "true"], [false, "false"], [null, "null"], [1, "1"], [1.5, "1.5"], ["ok", "ok"], ["true", '"true"'], ["12", '"12"'], ['"q"', '"\\"q\\""'],
  ])("writes bodyRule.equals %j as the Kong string %s, which the plugin reads back as the same value", async (equals, kongText) => {
    const policy = { auth: { mode: "forward", service: { url: "http://legacy-auth:9000/check" }, bodyRule: { pointer: "/result/valid", equals } } };
    const { deck: kongPlugin } = await renderKong(["-", "--only", "kic"], JSON.stringify(policy));
    expect(at(kongPlugin, "config", "auth", "bodyRule", "equals")).toBe(kongText);
    const kong = throughKong(at(kongPlugin, "config"));
    expect(kong.errors).toEqual([]);
    expect(at(kong.document, "auth", "bodyRule", "equals")).toEqual(equals);
    expect(await effectivePolicy(kong.document)).toEqual(await effectivePolicy(policy));
  });

  it("applies --service-url, --name and --canary-target", async () => {
    const { deck, kongPlugin } = await renderKong([fixture("full.yaml"), "--service-url", "http://api.shop.svc:8080", "--name", "api", "--canary-target", "api-canary.shop.svc:8080"]);
    expect(at(deck, "services", 0, "url")).toBe("http://api.shop.svc:8080");
    expect(at(deck, "services", 0, "name")).toBe("api");
    expect(at(deck, "upstreams", 0, "targets", 0, "target")).toBe("api-canary.shop.svc:8080");
    expect(at(kongPlugin, "metadata", "name")).toBe("api-meshgate");
  });

  it("prints one document with --only and JSON with --format json", async () => {
    const deckOnly = await runCli(["render", "kong", fixture("full.yaml"), "--only", "deck", "--format", "json"]);
    expect(deckOnly.code).toBe(0);
    expect(asRecord(JSON.parse(deckOnly.stdout))._format_version).toBe("3.0");
    const kicOnly = await runCli(["render", "kong", fixture("full.yaml"), "--only=kic"]);
    expect(yamlDocuments(kicOnly.stdout).map((doc) => asRecord(doc).kind)).toEqual(["KongPlugin"]);
  });

  it("is deterministic: the same output for the same policy, whatever its key order or format", async () => {
    const first = await runCli(["render", "kong", fixture("full.yaml")]);
    const again = await runCli(["render", "kong", fixture("full.yaml")]);
    expect(again.stdout).toBe(first.stdout);
    const source = readPolicy(fixture("full.yaml")) as Record<string, Record<string, unknown>>;
    const reordered = { rateLimit: source.rateLimit, canary: Object.fromEntries(Object.entries(source.canary).reverse()), auth: source.auth };
    const fromJson = await runCli(["render", "kong", "-"], { stdin: JSON.stringify(reordered) });
    expect(fromJson.stdout.replace("from <stdin>", "from full.yaml")).toBe(first.stdout);
  });

  it("refuses a policy whose auth has no auth.service.url", async () => {
    const result = await runCli(["render", "kong", fixture("envoy-only.yaml")]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toBe("meshgate: cannot render for kong: auth.service.url: expected absolute http or https URL on the Kong plane " +
      "(auth is enabled: Kong calls the auth service there), got nothing\n");
  });

  it("refuses rateLimit.policy redis without a Redis host, and renders it with one", async () => {
    const without = await runCli(["render", "kong", fixture("redis-without-host.yaml")]);
    expect(without.code).toBe(1);
    expect(without.stderr).toContain('rateLimit.policy is "redis" but rateLimit.redis.host is not set');
    const withHost = await renderKong([fixture("redis-with-host.yaml")]);
    expect(at(withHost.deck, "services", 0, "plugins", 0, "config", "rateLimit", "redis", "host")).toBe("redis.shop.svc.cluster.local");
  });

  it("refuses a canary Kong cannot route from a Service whose host is an IP; renders it from a hostname Service", async () => {
    const base = { auth: { service: { url: "http://a:8080/i" } } };
    const byUpstream = JSON.stringify({ ...base, canary: { percentage: 5, kong: { upstream: "shop-canary" } } });
    const ipService = await runCli(["render", "kong", "--service-url", "http://10.0.0.7:8080", "-"], { stdin: byUpstream });
    expect(ipService.code).toBe(1);
    expect(ipService.stdout).toBe("");
    expect(ipService.stderr).toContain('cannot render for kong: the Service\'s host 10.0.0.7 is an IP address, so Kong cannot route canary.kong.upstream "shop-canary"');
    const byHostnameTarget = JSON.stringify({ ...base, canary: { percentage: 5, kong: { target: "canary.shop.svc:8080" } } });
    const ipv6 = await runCli(["render", "kong", "--service-url", "http://[fd00::7]:8080", "-"], { stdin: byHostnameTarget });
    expect(ipv6.code).toBe(1);
    expect(ipv6.stderr).toContain('canary.kong.target "canary.shop.svc:8080" (kong.service.set_target with a hostname)');

    const byIpTarget = JSON.stringify({ ...base, canary: { percentage: 5, kong: { target: "10.0.0.9:8080" } } });
    await renderKong(["--service-url", "http://10.0.0.7:8080", "-"], byIpTarget);
    const named = await renderKong(["--service-url", "http://stable.shop.svc:8080", "-"], byUpstream);
    expect(at(named.deck, "services", 0, "url")).toBe("http://stable.shop.svc:8080");
  });

  it("refuses an invalid policy with the core's errors", async () => {
    const result = await runCli(["render", "kong", fixture("bad-fields.json")]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("auth.mode: expected one of");
  });

  it("warns when canary is enabled but Kong has nowhere to send it, and when a secret is written in clear", async () => {
    const policy = { auth: { service: { url: "http://a:8080/i" }, introspectionAuthorization: "Basic c2VjcmV0" }, canary: { percentage: 5 } };
    const { stderr } = await renderKong(["-"], JSON.stringify(policy));
    expect(stderr).toContain("warning: canary is enabled without canary.kong.upstream or canary.kong.target");
    expect(stderr).toContain("warning: auth.introspectionAuthorization is a secret written in plain text");
    expect(stderr).not.toContain("c2VjcmV0");
    const vault = { auth: { service: { url: "http://a:8080/i" }, introspectionAuthorization: "{vault://env/meshgate-auth}" } };
    expect((await renderKong(["-", "--service-url", "http://stable.shop.svc:8080"], JSON.stringify(vault))).stderr).toBe("");
  });

  it("warns about placeholder and loopback addresses it would print, and about flags the policy makes meaningless", async () => {
    const auth = { service: { url: "http://auth.shop.svc:8080/i" } };
    const bare = await runCli(["render", "kong", "-"], { stdin: JSON.stringify({ auth }) });
    expect(bare.stderr).toBe("meshgate: warning: --service-url not given: the Service points at the placeholder http://stable.default.svc:8080; " +
      "pass the stable upstream's URL\n");
    const loopback = await runCli(["render", "kong", "-", "--service-url", "http://127.0.0.1:8080"], { stdin: JSON.stringify({ auth }) });
    expect(loopback.stderr).toBe('meshgate: warning: --service-url "http://127.0.0.1:8080" is a loopback address: Kong would proxy every request back to itself\n');
    const ignored = await runCli(["render", "kong", "-", "--service-url", "http://stable.shop.svc:8080", "--canary-target", "canary.shop.svc:8080"], {
      stdin: JSON.stringify({ auth, canary: { percentage: 5, kong: { target: "canary.shop.svc:8080" } } }),
    });
    expect(ignored.code).toBe(0);
    expect(ignored.stderr).toBe("meshgate: warning: --canary-target has no effect: the policy has no canary.kong.upstream, so no canary Upstream is rendered\n");
    const placeholderTarget = await runCli(["render", "kong", "-", "--service-url", "http://stable.shop.svc:8080"], {
      stdin: JSON.stringify({ auth, canary: { percentage: 5, kong: { upstream: "shop-canary" } } }),
    });
    expect(placeholderTarget.stderr).toBe('meshgate: warning: --canary-target not given: the canary Upstream "shop-canary" gets the placeholder target canary.default.svc:8080\n');
  });

  it("--strict: a warning is an error, nothing is printed and the exit status is 1", async () => {
    const auth = { service: { url: "http://auth.shop.svc:8080/i" } };
    const strict = await runCli(["render", "kong", "-", "--strict"], { stdin: JSON.stringify({ auth }) });
    expect(strict).toMatchObject({ code: 1, stdout: "" });
    expect(strict.stderr).toMatch(/^meshgate: error \(--strict\): --service-url not given/);
    const clean = await runCli(["render", "kong", "-", "--strict", "--service-url", "http://stable.shop.svc:8080"], { stdin: JSON.stringify({ auth }) });
    expect(clean.code).toBe(0);
    expect(clean.stderr).toBe("");
  });

  it("quotes strings a YAML 1.1 reader would take for something else", async () => {
    const policy = { auth: { service: { url: "http://a:8080/i" } }, canary: { salt: "on", percentage: 5, kong: { upstream: "canary-up" } } };
    const result = await runCli(["render", "kong", "-", "--only", "kic"], { stdin: JSON.stringify(policy) });
    expect(result.stdout).toContain('salt: "on"');
  });
});
