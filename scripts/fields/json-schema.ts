// The JSON Schema (draft 2020-12) of the policy document — also the shape of an Istio WasmPlugin's
// `pluginConfig` — from the field table. Editors use it through `# yaml-language-server: $schema=…`; it checks
// what one field can say about itself (type, range, choices, length, syntax) and `required` within an object.
// The cross-field rules stay the core's (`npx meshgate validate`).
import { POLICY_FIELDS, fieldName, itemField, memberFields, valueField } from "../../shared/src/policy-fields";
import type { PolicyField } from "../../shared/src/policy-fields";
import { plainDescription } from "./descriptions";

type Schema = Record<string, unknown>;

export const JSON_SCHEMA_PATH = "schemas/meshgate-policy.schema.json";

export function policyJsonSchema(): Schema {
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    title: "meshgate policy",
    description: "One policy for the meshgate Kong plugin (its config) and Envoy/Istio filter (WasmPlugin pluginConfig). " +
      "Generated from shared/src/policy-fields.ts; the reference is shared/README.md.",
    ...objectSchema(SECTIONS),
  };
}

const SECTIONS: PolicyField = { path: "", type: "object", phrase: "object", planes: "both", description: "" };

/** `withDefaults` false: inside an object that overrides another section, where a missing member is inherited. */
function objectSchema(object: PolicyField, withDefaults = true): Schema {
  const children = memberFields(object);
  const overrides = object.sameAs !== undefined;
  const out: Schema = { type: "object", additionalProperties: false, properties: {} };
  const properties = out.properties as Schema;
  for (const child of children) properties[fieldName(child)] = fieldSchema(child, withDefaults && !overrides);
  const required = children.filter((child) => child.required === "always").map(fieldName);
  if (required.length > 0) out.required = required;
  // A route's section inherits what it leaves out: "required when enabled" is the top-level section's rule.
  const whenEnabled = overrides ? [] : children.filter((child) => child.required === "whenEnabled");
  if (whenEnabled.length > 0) {
    out.if = { not: { required: ["enabled"], properties: { enabled: { const: false } } } };
    const needs = whenEnabled.map((child) => child.orInstead
      ? { anyOf: [{ required: [fieldName(child)] }, { required: [child.orInstead] }] }
      : { required: [fieldName(child)] });
    out.then = needs.length === 1 ? needs[0] : { allOf: needs };
  }
  const exclusive = children.filter((child) => child.excludes);
  if (exclusive.length > 0) {
    out.dependentSchemas = Object.fromEntries(exclusive.map((child) =>
      [fieldName(child), { not: { anyOf: child.excludes!.map((name) => ({ required: [name] })) } }]));
  }
  return out;
}

const SCALAR = ["string", "number", "boolean"];

function fieldSchema(field: PolicyField, withDefaults = true): Schema {
  const out: Schema = { description: description(field) };
  if (field.type === "object") Object.assign(out, objectSchema(field, withDefaults));
  else if (field.type === "array") {
    out.type = "array";
    if (field.length && field.length[0] > 0) out.minItems = field.length[0];
    if (field.length) out.maxItems = field.length[1];
    const item = itemField(field);
    out.items = item ? fieldSchema(item, withDefaults) : { type: "string" };
  } else if (field.type === "map") {
    out.type = "object";
    if (field.length) out.maxProperties = field.length[1];
    if (!field.key) throw new Error(`${field.path}: a map row needs \`key\``);
    out.propertyNames = { minLength: field.key.length[0], maxLength: field.key.length[1], pattern: field.key.pattern };
    out.additionalProperties = fieldSchema(valueField(field), withDefaults);
  } else if (field.type === "scalarOrList") {
    const [low, high] = field.length ?? [1, 64];
    const scalar = field.stringLength ? { type: SCALAR, maxLength: field.stringLength[1] } : { type: SCALAR };
    out.anyOf = [scalar, { type: "array", minItems: low, maxItems: high, items: scalar }];
  } else if (field.type === "scalar") out.type = ["string", "number", "boolean", "null"];
  else if (field.range && field.alsoAllowed) {
    out.type = field.type;
    out.anyOf = [...field.alsoAllowed.map((value) => ({ const: value })), { minimum: field.range[0], maximum: field.range[1] }];
  } else {
    out.type = field.type;
    if (field.range) { out.minimum = field.range[0]; out.maximum = field.range[1]; }
    if (field.choices) out.enum = [...field.choices];
    if (field.type === "string" && field.length && !field.choices) {
      if (field.length[0] > 0) out.minLength = field.length[0];
      out.maxLength = field.length[1];
    }
    if (field.pattern) out.pattern = field.pattern;
  }
  if (withDefaults && field.default !== undefined) out.default = structuredClone(field.default);
  return out;
}

function description(field: PolicyField): string {
  const variants = POLICY_FIELDS.filter((row) => row.path === field.path);
  const meaning = variants.length > 1
    ? variants.map((row) => `${row.variant}: ${row.phrase}. ${plainDescription(row.description)}`).join(" ")
    : `${field.phrase}. ${plainDescription(field.description)}`;
  const plane = field.planes === "kong" ? " (Kong plane only)" : field.planes === "envoy" ? " (Envoy plane only)" : "";
  return `${meaning.trim()}${plane}`;
}

export function renderJsonSchema(): string {
  return `${JSON.stringify(policyJsonSchema(), null, 2)}\n`;
}
