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

  it("gives every Kong field a description within Kong's metaschema bounds (10..500 characters)", () => {
    const descriptions: string[] = [];
    const walk = (fields: Array<Record<string, Record<string, unknown>>>): void => {
      for (const entry of fields) {
        for (const [name, definition] of Object.entries(entry)) {
          expect(typeof definition.description, name).toBe("string");
          descriptions.push(definition.description as string);
          if (Array.isArray(definition.fields)) walk(definition.fields as never);
          const elements = definition.elements as Record<string, unknown> | undefined;
          if (elements && Array.isArray(elements.fields)) walk(elements.fields as never);
        }
      }
    };
    walk(kongSchemaFields());
    expect(descriptions.length).toBe(new Set(POLICY_FIELDS.filter((field) => !field.path.endsWith("[]")).map((field) => field.path)).size);
    for (const text of descriptions) {
      expect(text.length).toBeGreaterThanOrEqual(KONG_DESCRIPTION_LENGTH[0]);
      expect(text.length).toBeLessThanOrEqual(KONG_DESCRIPTION_LENGTH[1]);
    }
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
      ["a choice that is not one", { auth: { service: { url: "http://a:1/i" }, mode: "jwt" } }, "/auth/mode must be equal to one of the allowed values"],
      ["rate missing while rateLimit is enabled", { rateLimit: { key: "ip" } }, "/rateLimit must have required property 'rate'"],
      ["a header name with a space", { auth: { service: { url: "http://a:1/i" }, identityHeaders: { subject: "x sub" } } }, '/auth/identityHeaders/subject must match pattern "^[!#$%&\'*+.^_`|~0-9A-Za-z-]{1,256}$"'],
    ])("refuses %s", (_what, document, error) => {
      expect(errorsOf(document)).toContain(error);
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
