// The Kong schema of the plugin, as kong-js-pluginserver dumps it (what Kong validates configs against),
// against the core: bad configs fail StartInstance naming the field, and Kong's defaults are the core's.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { parsePolicy } from "../../shared/src/policy-parse";
import { policyToJson } from "../../shared/src/policy-json";
import { stringifyJson } from "../../shared/src/json";
import { bearer, policyFor, startBackends, type Backends } from "../planes/support.js";
import { KongHosts, type Doc } from "./support.js";

const hosts = new KongHosts();
let backends: Backends;

beforeAll(async () => {
  backends = await startBackends();
});
afterEach(async () => {
  await hosts.stopAll();
});
afterAll(async () => {
  await backends?.close();
});

/** The core's effective policy (every default filled in) for a document, as plain JSON. */
function effectivePolicy(doc: Doc): Doc {
  const parsed = parsePolicy(JSON.stringify(doc));
  expect(parsed.errors).toEqual([]);
  return JSON.parse(stringifyJson(policyToJson(parsed.policy!))) as Doc;
}

/** What Kong hands the plugin, minus the keys Kong adds (`__seq__`, `__plugin_id`, …). */
function withoutKongKeys(config: Doc): Doc {
  return Object.fromEntries(Object.entries(config).filter(([key]) => !key.startsWith("__")));
}

type SchemaField = Record<string, unknown>;

function namedFields(list: unknown): Array<[string, SchemaField]> {
  return (list as Array<Record<string, SchemaField>>).map((entry) => Object.entries(entry)[0]!);
}

function configFields(schema: unknown): Array<[string, SchemaField]> {
  const top = namedFields((schema as { fields: unknown }).fields);
  return namedFields(top.find(([name]) => name === "config")![1]["fields"]);
}

/** Walks the schema next to the core's JSON: same member names at every level, and equal defaults for
 *  every field the document left out (`given` mirrors the document). */
function compareSchema(fields: Array<[string, SchemaField]>, effective: Doc, given: Doc, path: string, mismatches: string[]): void {
  const schemaNames = fields.map(([name]) => name).sort();
  // `auth.jwt` appears in the effective policy in jwt mode only (it is refused in the others): the jwt-mode
  // document below compares it.
  const coreNames = [...Object.keys(effective), ...(path === "config.auth" && effective.mode !== "jwt" ? ["jwt"] : [])].sort();
  if (JSON.stringify(schemaNames) !== JSON.stringify(coreNames)) {
    mismatches.push(`${path}: Kong schema fields ${schemaNames.join(",")} vs core ${coreNames.join(",")}`);
  }
  for (const [name, field] of fields) {
    const value = effective[name];
    const at = `${path}.${name}`;
    const written = given[name];
    if (written === undefined && field["default"] !== undefined && JSON.stringify(field["default"]) !== JSON.stringify(value)) {
      mismatches.push(`${at}: Kong default ${JSON.stringify(field["default"])} vs core ${JSON.stringify(value)}`);
    }
    if (field["type"] === "record" && typeof value === "object" && value !== null) {
      compareSchema(namedFields(field["fields"]), value as Doc, (written ?? {}) as Doc, at, mismatches);
    }
    const elements = field["elements"] as SchemaField | undefined;
    if (field["type"] === "array" && elements?.["type"] === "record" && Array.isArray(value) && value.length > 0) {
      compareSchema(namedFields(elements["fields"]), value[0] as Doc, (Array.isArray(written) ? written[0] : {}) as Doc, `${at}[0]`, mismatches);
    }
  }
}

describe("the meshgate Kong schema", () => {
  // Every section and nested record present but empty, so Kong fills in every default it has.
  const emptyEverywhere = (b: Backends): Doc => ({
    auth: {
      service: { url: `${b.authUrl}/introspect` }, identityHeaders: {}, cache: {}, failure: {},
      tokenSources: [{ type: "header", name: "authorization", scheme: "Bearer" }], headerMappings: [{ from: "tenant", to: "x-tenant" }],
    },
    canary: { kong: {} },
    rateLimit: { rate: 5, redis: {} },
    log: {},
  });

  it("has the core's field names at every level, and its defaults are the core's defaults", async () => {
    const doc = emptyEverywhere(backends);
    const host = await hosts.start(doc, backends.stableUrl);
    const mismatches: string[] = [];
    compareSchema(configFields(host.pluginInfo.Schema), effectivePolicy(doc), doc, "config", mismatches);
    expect(mismatches).toEqual([]);
    // The config Kong sends after applying its defaults means exactly what the bare document means.
    expect(effectivePolicy(withoutKongKeys(host.instanceConfig()))).toEqual(effectivePolicy(doc));
  });

  it("in jwt mode too: the auth.jwt record has the core's field names and defaults", async () => {
    const doc: Doc = {
      auth: { mode: "jwt", jwt: { jwks: { url: `${backends.authUrl}/.well-known/jwks.json` }, issuers: ["meshgate-dev-auth"], claims: {} } },
    };
    const host = await hosts.start(doc, backends.stableUrl);
    const mismatches: string[] = [];
    const auth = namedFields(configFields(host.pluginInfo.Schema).find(([name]) => name === "auth")![1]["fields"]);
    const jwt = auth.find(([name]) => name === "jwt")![1];
    compareSchema(namedFields(jwt["fields"]), (effectivePolicy(doc).auth as Doc).jwt as Doc, (doc.auth as Doc).jwt as Doc, "config.auth.jwt", mismatches);
    expect(mismatches).toEqual([]);
    expect(effectivePolicy(withoutKongKeys(host.instanceConfig()))).toEqual(effectivePolicy(doc));
  });

  it("a route's auth without shadow keeps the top-level auth.shadow through Kong's defaults (no default fills it)", async () => {
    const doc: Doc = {
      auth: { service: { url: `${backends.authUrl}/introspect` }, shadow: true },
      routes: [{ name: "left-out", match: {} }, { name: "empty", match: {}, auth: {} }, { name: "enforcing", match: {}, auth: { shadow: false } }],
    };
    const host = await hosts.start(doc, backends.stableUrl);
    const effective = effectivePolicy(withoutKongKeys(host.instanceConfig()));
    expect(effective).toEqual(effectivePolicy(doc));
    expect((effective.routes as Doc[]).map((route) => (route.auth as Doc).shadow)).toEqual([true, true, false]);
  });

  it("a section left out stays out (Kong sends no defaults for it), so it stays disabled", async () => {
    const host = await hosts.start({ auth: { service: { url: `${backends.authUrl}/introspect` } } }, backends.stableUrl);
    expect(Object.keys(withoutKongKeys(host.instanceConfig()))).toEqual(["auth"]);
    const r = await host.request({ path: "/", headers: bearer(await backends.token("ann")) });
    expect(r.status).toBe(200);
    expect(r.headers["ratelimit-policy"]).toBeUndefined();
  });

  it("a config Kong's schema refuses fails before any instance starts, naming the field in Kong's words", async () => {
    await expect(hosts.start(policyFor(backends, { canary: { percentage: 101 } }), backends.stableUrl))
      .rejects.toThrow("config.canary.percentage: value should be between 0 and 100");
    await expect(hosts.start({ ...policyFor(backends), auth: { scopes: ["a"] } }, backends.stableUrl))
      .rejects.toThrow("config.auth.scopes: unknown field");
  });

  it("a config only the core can refuse fails StartInstance with every invalid field named", async () => {
    const doc = policyFor(backends, {
      auth: { tokenSources: [{ type: "header", name: "bad name" }] },
      canary: { kong: { upstream: "shop-canary", target: "canary.local:8080" } },
      rateLimit: { key: "header:", rate: 5 },
    });
    const failure = hosts.start(doc, backends.stableUrl);
    await expect(failure).rejects.toThrow(/^StartInstance failed: invalid meshgate policy: /);
    await expect(failure).rejects.toThrow("auth.tokenSources[0].name");
    await expect(failure).rejects.toThrow('canary.kong: expected "upstream" or "target", got both');
    await expect(failure).rejects.toThrow("rateLimit.key");
  });

  it("a config change to an invalid policy answers 500 without proxying (Kong's failed StartInstance), until fixed", async () => {
    const host = await hosts.start(policyFor(backends), backends.stableUrl);
    const token = await backends.token("bea");
    expect((await host.request({ path: "/", headers: bearer(token) })).status).toBe(200);
    host.setConfig(policyFor(backends, { rateLimit: { key: "header:", rate: 5 } }));
    const broken = await host.request({ path: "/", headers: bearer(token) });
    expect(broken.status).toBe(500);
    expect(broken.proxied).toBe(false);
    expect(host.logs().some((l) => l.level === "err" && l.message.includes("rateLimit.key"))).toBe(true);
    host.setConfig(policyFor(backends));
    expect((await host.request({ path: "/", headers: bearer(token) })).status).toBe(200);
  });

  it("bodyRule.equals is a string in Kong: JSON text for true/false/numbers/null, otherwise the string itself", async () => {
    const host = await hosts.start(policyFor(backends, { auth: { bodyRule: { pointer: "/active", equals: "true" } } }), backends.stableUrl);
    expect((await host.request({ path: "/", headers: bearer(await backends.token("cid")) })).status).toBe(200);
    host.setConfig(policyFor(backends, { auth: { bodyRule: { pointer: "/sub", equals: "cid" } } }));
    expect((await host.request({ path: "/", headers: bearer(await backends.token("cid")) })).status).toBe(200);
    const other = await host.request({ path: "/", headers: bearer(await backends.token("dee")) });
    expect(other.status).toBe(401);
    expect(other.headers["www-authenticate"]).toContain('error="invalid_token"');
  });
});
