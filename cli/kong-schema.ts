// The subset of Kong's schema DSL that kong-plugins/src/schema.ts uses, read from that very schema:
// field order (for stable output) and Kong's own checks on a plugin `config` (defaults filled in,
// unset optional fields as null, types, one_of, between, required, unknown fields), so a config the
// CLI renders is one Kong's Admin API / decK would accept.
import { deepCopy, isJsonObject, itemPath, memberOf, memberPath, setMember } from "./json-value";
import type { JsonObject, JsonValue } from "./json-value";

export type KongFieldType = "record" | "array" | "map" | "string" | "integer" | "number" | "boolean";

export interface KongField {
  name: string;
  type: KongFieldType;
  required: boolean;
  default?: JsonValue;
  oneOf?: JsonValue[];
  between?: [number, number];
  /** record only */
  fields?: KongField[];
  /** array only */
  elements?: KongField;
  /** map only (keys are strings: a JSON object's member names) */
  values?: KongField;
}

const TYPES: ReadonlySet<string> = new Set(["record", "array", "map", "string", "integer", "number", "boolean"]);
/** Attributes this reader understands; any other makes readKongSchema fail instead of silently ignoring a rule. */
const KNOWN_ATTRIBUTES: ReadonlySet<string> = new Set(["type", "required", "default", "one_of", "between", "fields", "elements", "keys", "values", "referenceable", "description"]);

export class KongSchemaError extends Error {}

/** Reads Kong's `fields` list: an array of single-key objects `{ name: { type, … } }`. */
export function readKongSchema(fields: unknown, path = "config"): KongField[] {
  if (!Array.isArray(fields)) throw new KongSchemaError(`${path}: fields must be an array`);
  return fields.map((entry: unknown) => {
    if (typeof entry !== "object" || entry === null || Array.isArray(entry) || Object.keys(entry).length !== 1) {
      throw new KongSchemaError(`${path}: each field must be an object with one key`);
    }
    const [name, spec] = Object.entries(entry)[0] as [string, unknown];
    return readField(name, spec, `${path}.${name}`);
  });
}

function readField(name: string, spec: unknown, path: string): KongField {
  if (typeof spec !== "object" || spec === null || Array.isArray(spec)) throw new KongSchemaError(`${path}: expected a field definition`);
  const attributes = spec as Record<string, unknown>;
  for (const key of Object.keys(attributes)) {
    if (!KNOWN_ATTRIBUTES.has(key)) throw new KongSchemaError(`${path}: unsupported schema attribute "${key}"`);
  }
  const type = attributes.type;
  if (typeof type !== "string" || !TYPES.has(type)) throw new KongSchemaError(`${path}: unsupported type ${JSON.stringify(type)}`);
  const field: KongField = { name, type: type as KongFieldType, required: attributes.required === true };
  if (attributes.one_of !== undefined) {
    if (!Array.isArray(attributes.one_of)) throw new KongSchemaError(`${path}: one_of must be an array`);
    field.oneOf = attributes.one_of as JsonValue[];
  }
  if (attributes.between !== undefined) {
    const between = attributes.between;
    if (!Array.isArray(between) || between.length !== 2 || typeof between[0] !== "number" || typeof between[1] !== "number") {
      throw new KongSchemaError(`${path}: between must be [low, high]`);
    }
    field.between = [between[0], between[1]];
  }
  if (type === "record") field.fields = readKongSchema(attributes.fields, path);
  if (type === "array") {
    if (attributes.elements === undefined) throw new KongSchemaError(`${path}: an array needs elements`);
    field.elements = readField("element", attributes.elements, `${path}[]`);
  }
  if (type === "map") {
    const keys = attributes.keys as Record<string, unknown> | undefined;
    if (keys?.type !== "string" || attributes.values === undefined) throw new KongSchemaError(`${path}: a map needs string keys and values`);
    field.values = readField("value", attributes.values, `${path}{}`);
  }
  if (attributes.default !== undefined) {
    field.default = attributes.default as JsonValue;
    const problem = checkValue(field, deepCopy(field.default), path);
    if (problem.errors.length > 0) throw new KongSchemaError(`${path}: invalid default: ${problem.errors.join("; ")}`);
  }
  return field;
}

export interface KongCheck {
  /** What Kong stores and hands the plugin: defaults filled in, unset optional fields null. */
  config: JsonObject;
  errors: string[];
}

export function checkKongConfig(fields: KongField[], config: JsonObject, path = "config"): KongCheck {
  const record: KongField = { name: "config", type: "record", required: true, fields };
  const result = checkValue(record, config, path);
  return { config: isJsonObject(result.value) ? result.value : {}, errors: result.errors };
}

function checkValue(field: KongField, value: JsonValue, path: string): { value: JsonValue; errors: string[] } {
  const errors: string[] = [];
  const result = check(field, value, path, errors);
  return { value: result, errors };
}

function check(field: KongField, value: JsonValue, path: string, errors: string[]): JsonValue {
  if (value === null) {
    if (field.required) errors.push(`${path}: required field missing`);
    return null;
  }
  switch (field.type) {
    case "record": return checkRecord(field, value, path, errors);
    case "array":
      if (!Array.isArray(value)) { errors.push(`${path}: expected an array`); return value; }
      return value.map((item, index) => check(field.elements as KongField, item, itemPath(path, index), errors));
    case "map":
      if (!isJsonObject(value)) { errors.push(`${path}: expected a map`); return value; }
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, check(field.values as KongField, item, memberPath(path, key), errors)]));
    case "string":
      if (typeof value !== "string") { errors.push(`${path}: expected a string`); return value; }
      break;
    case "integer":
      if (typeof value !== "number" || !Number.isInteger(value)) { errors.push(`${path}: expected an integer`); return value; }
      break;
    case "number":
      if (typeof value !== "number" || !Number.isFinite(value)) { errors.push(`${path}: expected a number`); return value; }
      break;
    case "boolean":
      if (typeof value !== "boolean") { errors.push(`${path}: expected a boolean`); return value; }
      break;
  }
  if (field.oneOf && !field.oneOf.includes(value)) {
    errors.push(`${path}: expected one of: ${field.oneOf.map(String).join(", ")}`);
  }
  if (field.between && typeof value === "number" && (value < field.between[0] || value > field.between[1])) {
    errors.push(`${path}: value should be between ${field.between[0]} and ${field.between[1]}`);
  }
  return value;
}

function checkRecord(field: KongField, value: JsonValue, path: string, errors: string[]): JsonValue {
  if (!isJsonObject(value)) { errors.push(`${path}: expected a record`); return value; }
  const fields = field.fields ?? [];
  const known = new Set(fields.map((f) => f.name));
  for (const key of Object.keys(value)) {
    if (!known.has(key)) errors.push(`${memberPath(path, key)}: unknown field`);
  }
  const out: JsonObject = {};
  for (const child of fields) {
    const given = memberOf(value, child.name);
    setMember(out, child.name, check(child, given === undefined ? missing(child) : given, memberPath(path, child.name), errors));
  }
  return out;
}

/** Kong's handle_missing_field: the default; else null unless required; a required record expands. */
function missing(field: KongField): JsonValue {
  if (field.default !== undefined) return deepCopy(field.default);
  if (!field.required) return null;
  if (field.type === "record") return {};
  return null;
}

/** Members in the schema's order (an `enabled` switch, which the schema may lack, first), the rest after. */
export function orderLikeSchema(fields: KongField[], value: JsonValue): JsonValue {
  if (Array.isArray(value)) return value.map((item) => orderLikeSchema(fields, item));
  if (!isJsonObject(value)) return value;
  const out: JsonObject = {};
  const byName = new Map(fields.map((field) => [field.name, field]));
  const keys = Object.keys(value);
  const position = (key: string): number => (key === "enabled" ? -1 : fields.findIndex((field) => field.name === key));
  const known = keys.filter((key) => key === "enabled" || byName.has(key)).sort((a, b) => position(a) - position(b));
  for (const key of [...known, ...keys.filter((key) => !known.includes(key))]) {
    const field = byName.get(key);
    const inner = value[key] as JsonValue;
    const nested = field?.type === "record" ? field.fields : field?.type === "array" && field.elements?.type === "record" ? field.elements.fields : undefined;
    setMember(out, key, nested ? orderLikeSchema(nested, inner) : deepCopy(inner));
  }
  return out;
}
