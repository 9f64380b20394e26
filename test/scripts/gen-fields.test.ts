// The files written from the field table (scripts/gen-fields.mjs) are what the table gives today, and each is
// usable where it goes: Kong takes the schema's descriptions, editors and ajv take the JSON Schema and the example
// policies pass it.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import Ajv2020 from "ajv/dist/2020.js";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { generatedFiles } from "../../scripts/fields/generate";
import { KONG_DESCRIPTION_LENGTH, kongSchemaFields } from "../../scripts/fields/kong-schema";
import { policyJsonSchema } from "../../scripts/fields/json-schema";
import { POLICY_FIELDS } from "../../shared/src/policy-fields";
import { repoRoot } from "../cli/support/cli";

const read = (path: string): string => readFileSync(join(repoRoot, path), "utf8");

/** Policy files that carry the editor modeline; each must pass the schema. */
const POLICY_FILES = ["dev/policy.yaml", "istio-manifests/policy.yaml", "istio-manifests/policy-caller.yaml"];

describe("npm run gen:fields", () => {
  it.each([...generatedFiles(read).keys()])("%s is what shared/src/policy-fields.ts gives (run npm run gen:fields)", (path) => {
    expect(read(path)).toBe(generatedFiles(read).get(path));
  });

  it("gives every Kong field a description within Kong's metaschema bounds (10..500 characters), one per row", () => {
    const descriptions: string[] = [];
    const paths = new Set<string>();
    const walk = (fields: Array<Record<string, Record<string, unknown>>>, parent: string): void => {
      for (const entry of fields) {
        for (const [name, definition] of Object.entries(entry)) {
          const path = parent ? `${parent}.${name}` : name;
          expect(typeof definition.description, path).toBe("string");
          descriptions.push(definition.description as string);
          paths.add(path);
          if (Array.isArray(definition.fields)) walk(definition.fields as never, path);
          const elements = definition.elements as Record<string, unknown> | undefined;
          if (elements && Array.isArray(elements.fields)) walk(elements.fields as never, `${path}[]`);
        }
      }
    };
    walk(kongSchemaFields(), "");
    // A route's sections are the top-level ones' rows again (`routes[].rateLimit.rate` is `rateLimit.rate`).
    const rowPath = (path: string): string => {
      const owner = POLICY_FIELDS.find((field) => field.sameAs && path.startsWith(`${field.path}.`));
      return owner ? `${owner.sameAs}${path.slice(owner.path.length)}` : path;
    };
    const rows = new Set(POLICY_FIELDS.filter((field) => !field.path.endsWith("[]") && !field.path.endsWith(".*")).map((field) => field.path));
    expect(new Set([...paths].map(rowPath))).toEqual(rows);
    for (const text of descriptions) {
      expect(text.length).toBeGreaterThanOrEqual(KONG_DESCRIPTION_LENGTH[0]);
      expect(text.length).toBeLessThanOrEqual(KONG_DESCRIPTION_LENGTH[1]);
    }
  });

  it("gives a route's sections no Kong defaults (a default would override the top-level section), nor rate/periodSeconds/burst (they exclude limits)", () => {
    const byName = (fields: Array<Record<string, Record<string, unknown>>>, name: string): Record<string, unknown> =>
      fields.find((entry) => name in entry)![name];
    const sections = kongSchemaFields();
    const topRateLimit = byName(sections, "rateLimit").fields as Array<Record<string, Record<string, unknown>>>;
    for (const window of ["rate", "periodSeconds", "burst"]) expect(byName(topRateLimit, window).default, window).toBeUndefined();
    const route = (byName(sections, "routes").elements as Record<string, unknown>).fields as Array<Record<string, Record<string, unknown>>>;
    const withDefaults: string[] = [];
    const walk = (fields: Array<Record<string, Record<string, unknown>>>, parent: string): void => {
      for (const entry of fields) {
        for (const [name, definition] of Object.entries(entry)) {
          if (definition.default !== undefined) withDefaults.push(`${parent}.${name}`);
          if (Array.isArray(definition.fields)) walk(definition.fields as never, `${parent}.${name}`);
        }
      }
    };
    for (const section of ["failure", "require", "rateLimit", "canary"]) walk(byName(route, section).fields as never, section);
    expect(withDefaults).toEqual([]);
  });

  describe("the JSON Schema", () => {
    const ajv = new Ajv2020({ allErrors: true, strict: true, strictTypes: false, strictRequired: false });
    const validate = ajv.compile(policyJsonSchema());
    const errorsOf = (document: unknown): string[] => (validate(document) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`));

    it.each(POLICY_FILES)("accepts %s, which names it in a yaml-language-server modeline", (path) => {
      const text = read(path);
      expect(text.split("\n")[0]).toBe("# yaml-language-server: $schema=../schemas/meshgate-policy.schema.json");
      expect(errorsOf(parse(text))).toEqual([]);
    });

    it("accepts the full test policies and the empty one", () => {
      expect(errorsOf(parse(read("test/cli/fixtures/full.yaml")))).toEqual([]);
      expect(errorsOf(JSON.parse(read("test/cli/fixtures/full.json")))).toEqual([]);
      expect(errorsOf({})).toEqual([]);
    });

    it.each([
      ["an unknown field", { rateLimit: { rate: 5, perSecond: 1 } }, "/rateLimit must NOT have additional properties"],
      ["a number out of range", { auth: { service: { url: "http://a:1/i" }, cache: { negativeTtlSeconds: 86400 } } }, "/auth/cache/negativeTtlSeconds must be <= 3600"],
      ["a wrong type", { rateLimit: { rate: "twenty" } }, "/rateLimit/rate must be integer"],
      ["a choice that is not one", { auth: { service: { url: "http://a:1/i" }, mode: "saml" } }, "/auth/mode must be equal to one of the allowed values"],
      ["rate missing while rateLimit is enabled", { rateLimit: { key: "ip" } }, "/rateLimit must have required property 'rate'"],
      ["a header name with a space", { auth: { service: { url: "http://a:1/i" }, identityHeaders: { subject: "x sub" } } }, '/auth/identityHeaders/subject must match pattern "^[!#$%&\'*+.^_`|~0-9A-Za-z-]{1,256}$"'],
    ])("refuses %s", (_what, document, error) => {
      expect(errorsOf(document)).toContain(error);
    });

    const auth = { service: { url: "http://a:1/i" } };
    it.each([
      ["a route without a name", { routes: [{ match: {} }] }, "/routes/0 must have required property 'name'"],
      ["a route without match", { routes: [{ name: "r" }] }, "/routes/0 must have required property 'match'"],
      ["a route named default", { routes: [{ name: "default", match: {} }] }, '/routes/0/name must match pattern "^(?!default$)[a-z0-9_-]{1,64}$"'],
      ["an upper-case route name", { routes: [{ name: "Admin", match: {} }] }, '/routes/0/name must match pattern "^(?!default$)[a-z0-9_-]{1,64}$"'],
      ["match keys at the route's top level", { routes: [{ name: "r", paths: ["/a"], match: {} }] }, "/routes/0 must NOT have additional properties"],
      ["methods as one string", { routes: [{ name: "r", match: { methods: "GET" } }] }, "/routes/0/match/methods must be array"],
      ["a header match without a name", { routes: [{ name: "r", match: { headers: [{ value: "1" }] } }] }, "/routes/0/match/headers/0 must have required property 'name'"],
      ["a route setting the top-level-only redis", { rateLimit: { rate: 5 }, routes: [{ name: "r", match: {}, rateLimit: { policy: "redis" } }] }, "/routes/0/rateLimit must NOT have additional properties"],
      ["a route setting canary.kong", { routes: [{ name: "r", match: {}, canary: { kong: { upstream: "u" } } }] }, "/routes/0/canary must NOT have additional properties"],
      ["limits and rate together", { rateLimit: { rate: 5, limits: [{ rate: 1 }] } }, "/rateLimit must NOT be valid"],
      ["a window without rate", { rateLimit: { limits: [{ periodSeconds: 60 }] } }, "/rateLimit/limits/0 must have required property 'rate'"],
      ["nine windows", { rateLimit: { limits: Array.from({ length: 9 }, () => ({ rate: 1 })) } }, "/rateLimit/limits must NOT have more than 8 items"],
      ["require.scopes as one string", { auth, require: { scopes: "admin" } }, "/require/scopes must be array"],
      ["a claim value that is an object", { auth, require: { claims: { tenant: { id: 1 } } } }, "/require/claims/tenant must match a schema in anyOf"],
      ["a claim header that is no header name", { auth: { ...auth, claimHeaders: { scope: "x auth" } } }, '/auth/claimHeaders/scope must match pattern "^[!#$%&\'*+.^_`|~0-9A-Za-z-]{1,256}$"'],
    ])("refuses %s", (_what, document, error) => {
      expect(errorsOf(document)).toContain(error);
    });

    it("takes what a route leaves out from the top level, and limits instead of rate", () => {
      expect(errorsOf({ rateLimit: { limits: [{ rate: 20 }, { rate: 1000, periodSeconds: 3600 }] } })).toEqual([]);
      expect(errorsOf({ rateLimit: { rate: 5 }, routes: [{ name: "r", match: { paths: ["/a/*"] }, rateLimit: { key: "ip" }, canary: { percentage: 5 } }] })).toEqual([]);
      expect(errorsOf({ auth, require: { claims: { tenant: "acme", level: [1, 2] } } })).toEqual([]);
    });

    it("takes failure.status 401 or 500..599 only, as the core does", () => {
      const at = (status: number) => errorsOf({ auth: { service: { url: "http://a:1/i" }, failure: { status } } });
      expect(at(401)).toEqual([]);
      expect(at(503)).toEqual([]);
      expect(at(429)).not.toEqual([]);
    });

    it("leaves rate alone when rateLimit is switched off, as the core does", () => {
      expect(errorsOf({ rateLimit: { enabled: false } })).toEqual([]);
    });
  });
});
