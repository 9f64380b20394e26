// meshgate.wasm refuses a policy it cannot run: the VM does not start, and the log names the field.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EnvoyHost, type LogEntry } from "../../dev/hosts/envoy/host.js";
import { MESHGATE_WASM, policyFor, startBackends, type Backends } from "./support.js";

let backends: Backends;

beforeAll(async () => {
  backends = await startBackends();
});
afterAll(async () => {
  await backends?.close();
});

/** Starts the filter with this plugin configuration; resolves with the host error and every log line. */
async function refusal(pluginConfig: string): Promise<{ error: Error; logs: LogEntry[] }> {
  const logs: LogEntry[] = [];
  try {
    const host = await EnvoyHost.start({
      wasm: MESHGATE_WASM, pluginConfig, clusters: { "auth-service": backends.authUrl }, onLog: (e) => logs.push(e),
    });
    await host.close();
  } catch (error) {
    if (error instanceof Error) return { error, logs };
    throw error;
  }
  throw new Error("the filter accepted the configuration");
}

function wasmErrors(logs: LogEntry[]): string[] {
  return logs.filter((e) => e.source === "wasm" && e.level === "error").map((e) => e.message);
}

describe("meshgate.wasm configuration", () => {
  it("an invalid field: the VM refuses to start and the log names the field with the core's message", async () => {
    const { error, logs } = await refusal(JSON.stringify(policyFor(backends, { rateLimit: { rate: 10, burst: -1 } })));
    expect(error.message).toContain("Failed to configure base Wasm plugin");
    expect(wasmErrors(logs)).toEqual(["meshgate: invalid configuration: rateLimit.burst: expected integer >= 0, got -1"]);
    expect(error.message).toContain("meshgate: invalid configuration: rateLimit.burst: expected integer >= 0, got -1");
  });

  it("every error of the document is logged, in document order", async () => {
    const policy = policyFor(backends, { canary: { percentage: 12.345 }, rateLimit: { rate: 0 } });
    (policy.auth as Record<string, unknown>).mode = "saml";
    const { logs } = await refusal(JSON.stringify(policy));
    expect(wasmErrors(logs)).toEqual([
      'meshgate: invalid configuration: auth.mode: expected one of "introspection", "forward", "jwt", got "saml"',
      "meshgate: invalid configuration: canary.percentage: expected number 0..100 with at most two decimals, got 12.345",
      "meshgate: invalid configuration: rateLimit.rate: expected integer 1..1000000, got 0",
    ]);
  });

  it("text that is not JSON is refused with the parser's position", async () => {
    const { logs } = await refusal('{"auth" 1}');
    expect(wasmErrors(logs)).toEqual(["meshgate: invalid configuration: $: invalid JSON: expected ':' at offset 8"]);
  });

  it("a policy valid for Kong only (auth.service.url, no cluster/authority/path) is refused by the Envoy plane", async () => {
    const policy = { auth: { service: { url: `${backends.authUrl}/introspect` } } };
    const { error, logs } = await refusal(JSON.stringify(policy));
    const expected = 'meshgate: invalid configuration: auth.service: expected "cluster" + "authority" + "path" on the Envoy plane ' +
      '(auth is enabled: Envoy calls the auth service through a cluster it knows), got only "url"';
    expect(wasmErrors(logs)).toEqual([expected]);
    expect(error.message).toContain(expected);
  });

  it("an incomplete Envoy address is refused by the core's own check", async () => {
    const policy = { auth: { service: { url: `${backends.authUrl}/introspect`, cluster: "auth-service" } } };
    const { logs } = await refusal(JSON.stringify(policy));
    expect(wasmErrors(logs)).toEqual([
      'meshgate: invalid configuration: auth.service: expected "cluster" + "authority" + "path" together (Envoy), got only "cluster"',
    ]);
  });

  it("auth switched off needs no auth-service address; every worker starts", async () => {
    const host = await EnvoyHost.start({
      wasm: MESHGATE_WASM, pluginConfig: JSON.stringify({ auth: { enabled: false }, canary: { percentage: 0 } }),
      clusters: { stable: backends.stableUrl }, routes: [{ cluster: "stable" }],
    });
    try {
      expect(host.workerFailed(0) || host.workerFailed(1)).toBe(false);
      const r = await host.request({ path: "/" });
      expect(r.status).toBe(200);
    } finally {
      await host.close();
    }
  });
});
