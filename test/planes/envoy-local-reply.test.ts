// On the Envoy plane every local reply of meshgate names the rule that made it: the response code details
// (what Envoy's access log prints as %RESPONSE_CODE_DETAILS%) are `meshgate_<reason>`, the decision's reason code.
// The client sees only the status, the RFC 6750 challenge and the body the core wrote.
import { afterEach, describe, expect, it } from "vitest";
import { EnvoyHost } from "../../dev/hosts/envoy/host.js";
import { MESHGATE_WASM } from "./support.js";

const hosts: EnvoyHost[] = [];
afterEach(async () => { await Promise.all(hosts.splice(0).map((h) => h.close())); });

async function startHost(policy: Record<string, unknown>): Promise<EnvoyHost> {
  const host = await EnvoyHost.start({
    wasm: MESHGATE_WASM, pluginConfig: JSON.stringify(policy), clusters: { nowhere: "", auth: "" }, routes: [{ cluster: "nowhere" }],
  });
  hosts.push(host);
  return host;
}

const authService = { cluster: "auth", authority: "auth.internal", path: "/introspect" };

describe("meshgate's local replies on the Envoy host carry the reason in their details", () => {
  it("401 without a token: meshgate_token_missing, and the client gets only the challenge", async () => {
    const host = await startHost({ auth: { enabled: true, service: authService } });
    const res = await host.request({ path: "/api" });
    expect(res).toMatchObject({ status: 401, local: true, details: "meshgate_token_missing" });
    expect(res.body).not.toContain("token_missing");
  });

  it("429 from the limit: meshgate_rate_limited", async () => {
    const host = await startHost({ auth: { enabled: false }, rateLimit: { key: "header:x-client", rate: 1, periodSeconds: 3600, burst: 0 } });
    await host.request({ path: "/", headers: { "x-client": "c" } });
    expect(await host.request({ path: "/", headers: { "x-client": "c" } })).toMatchObject({ status: 429, local: true, details: "meshgate_rate_limited" });
  });

  it("400 for a path no route can be picked for: meshgate_route_ambiguous", async () => {
    const host = await startHost({
      auth: { enabled: true, service: authService },
      routes: [{ name: "admin", match: { paths: ["/admin/*"] }, require: { groups: ["admins"] } }],
    });
    expect(await host.request({ path: "/admin/../x" })).toMatchObject({ status: 400, local: true, details: "meshgate_route_ambiguous" });
  });
});
