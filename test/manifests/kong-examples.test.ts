import { describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { builtCli, repoRoot } from "../cli/support/cli";
import { coreErrors, effectivePolicy, readPolicy, throughKong } from "../cli/support/policy";
import { asRecord, at, yamlDocuments } from "../cli/support/yaml-docs";
import { testTempDir } from "../support/temp-dir.js";

const examples = join(repoRoot, "kong-plugins/examples");
const single = (file: string): unknown => {
  const documents = yamlDocuments(readFileSync(join(examples, file), "utf8"));
  expect(documents).toHaveLength(1);
  return documents[0];
};

describe("kong-plugins/examples", () => {
  const deck = single("kong.yml");
  const deckConfig = at(deck, "services", 0, "plugins", 0, "config");

  it("kong.yml is a decK file: Service with a Route and the meshgate plugin, and the canary Upstream with a target", () => {
    expect(at(deck, "_format_version")).toBe("3.0");
    expect(at(deck, "services", 0, "url")).toBe("http://api-stable.shop.svc.cluster.local:8080");
    expect(at(deck, "services", 0, "routes", 0, "paths")).toEqual(["/"]);
    expect(at(deck, "services", 0, "plugins", 0, "name")).toBe("meshgate");
    const upstream = at(deck, "upstreams", 0);
    expect(at(upstream, "name")).toBe(at(deckConfig, "canary", "kong", "upstream"));
    expect(at(upstream, "targets", 0, "target")).toBe("api-canary.shop.svc.cluster.local:8080");
  });

  it("the plugin config is istio-manifests/policy.yaml: Kong's schema accepts it and the plugin's core reads the same policy", async () => {
    expect(deckConfig).toEqual(readPolicy("istio-manifests/policy.yaml"));
    const kong = throughKong(deckConfig);
    expect(kong.errors).toEqual([]);
    expect(await coreErrors(kong.document)).toEqual([]);
    expect(await effectivePolicy(kong.document)).toEqual(await effectivePolicy(readPolicy("istio-manifests/policy.yaml")));
  });

  it.each([
    ["kongplugin.yaml", "KongPlugin", "api-meshgate"],
    ["kongclusterplugin.yaml", "KongClusterPlugin", "meshgate"],
  ])("%s is a KIC %s with plugin meshgate and the same config", (file, kind, name) => {
    const resource = single(file);
    expect(asRecord(resource)).toMatchObject({ apiVersion: "configuration.konghq.com/v1", kind, metadata: { name }, plugin: "meshgate" });
    expect(at(resource, "config")).toEqual(deckConfig);
    expect(throughKong(at(resource, "config")).errors).toEqual([]);
  });

  it("kong.yml and kongplugin.yaml are exactly what render.sh produces", async () => {
    const out = testTempDir("meshgate-kong-render-");
    execFileSync("bash", [join(examples, "render.sh"), out], { env: { ...process.env, MESHGATE_CLI: await builtCli() }, stdio: "pipe" });
    for (const file of ["kong.yml", "kongplugin.yaml"]) {
      expect(readFileSync(join(examples, file), "utf8"), `${file} is stale: run kong-plugins/examples/render.sh`).toBe(readFileSync(join(out, file), "utf8"));
    }
  });

  it("kong.conf loads meshgate from a plugin server of its own whose socket, start and query commands agree", () => {
    const settings = new Map<string, string>();
    for (const line of readFileSync(join(examples, "kong.conf"), "utf8").split("\n")) {
      const match = /^\s*([a-z_]+)\s*=\s*(.+?)\s*$/.exec(line);
      if (match && !line.trimStart().startsWith("#")) settings.set(match[1], match[2]);
    }
    expect(settings.get("plugins")).toBe("bundled,meshgate");
    expect(settings.get("pluginserver_names")).toBe("meshgate");
    const start = settings.get("pluginserver_meshgate_start_cmd") ?? "";
    expect(start).toBe("/usr/local/bin/meshgate-pluginserver --plugins-directory /usr/local/kong/js-plugins/meshgate --sock-name meshgate_pluginserver.sock");
    expect(settings.get("pluginserver_meshgate_query_cmd")).toBe(`${start} --dump-all-plugins`);
    const sockName = /--sock-name (\S+)/.exec(start)?.[1];
    const prefix = /--kong-prefix (\S+)/.exec(start)?.[1] ?? "/usr/local/kong";
    expect(settings.get("pluginserver_meshgate_socket")).toBe(`${prefix}/${sockName}`);
  });

  it("is the only kong.conf recipe: the other Kong docs link to it instead of keeping a copy", () => {
    const kongPlugins = join(examples, "..");
    for (const doc of ["README.md", "server/README.md", "examples/README.md"]) {
      const text = readFileSync(join(kongPlugins, doc), "utf8");
      expect(text, doc).not.toMatch(/^pluginserver_names\s*=/m);
      expect(text, doc).toMatch(/\((\.\.\/)?examples\/kong\.conf\)|\(kong\.conf\)/);
    }
  });
});
