// The part of Kong's schema processing a plugin config goes through before Kong hands it to StartInstance:
// validation of the `config` record (types, required, unknown fields, the common validators) with Kong's error
// wording, defaults filled in, and `null`s dropped — at runtime Kong reads plugin rows in "select" context
// without nulls, so an unset optional field is ABSENT from the Config JSON, not `null`
// (`kong/db/schema/init.lua` process_auto_fields / adjust_field_for_context).
import { isRecord } from "./plugin-info.js";

export class SchemaViolation extends Error {
  override readonly name = "SchemaViolation";
  constructor(readonly fieldErrors: Record<string, string>) {
    const entries = Object.entries(fieldErrors).map(([path, msg]) => `${path}: ${msg}`);
    const head = entries.length === 1 ? "schema violation" : `${entries.length} schema violations`;
    super(`${head} (${entries.join("; ")})`);
  }
}

type FieldDef = Record<string, unknown>;
interface NamedField {
  name: string;
  def: FieldDef;
}

/** The field list of the `config` record inside a dumped plugin Schema (`{name, fields:[{config:{...}}]}`). */
export function configFieldsOf(schema: unknown): NamedField[] {
  if (!isRecord(schema) || !Array.isArray(schema["fields"])) return [];
  for (const entry of schema["fields"]) {
    if (isRecord(entry) && isRecord(entry["config"])) return namedFields(entry["config"]["fields"]);
  }
  return [];
}

/** Validates `config` and returns a copy with defaults applied and nulls removed; throws SchemaViolation. */
export function processPluginConfig(schema: unknown, config: Record<string, unknown>): Record<string, unknown> {
  const errors: Record<string, string> = {};
  const out = processRecord(configFieldsOf(schema), config, "config", errors);
  if (Object.keys(errors).length > 0) throw new SchemaViolation(errors);
  return out;
}

function namedFields(list: unknown): NamedField[] {
  if (!Array.isArray(list)) return [];
  const fields: NamedField[] = [];
  for (const entry of list) {
    if (!isRecord(entry)) continue;
    for (const [name, def] of Object.entries(entry)) if (isRecord(def)) fields.push({ name, def });
  }
  return fields;
}

function processRecord(fields: NamedField[], value: Record<string, unknown>, path: string, errors: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const known = new Set(fields.map((f) => f.name));
  for (const key of Object.keys(value)) if (!known.has(key)) errors[`${path}.${key}`] = "unknown field";
  for (const { name, def } of fields) {
    const fieldPath = `${path}.${name}`;
    const given = value[name];
    if (given === undefined) {
      if (def["default"] !== undefined && def["default"] !== null) out[name] = structuredClone(def["default"]);
      else if (def["required"] === true && def["type"] === "record") out[name] = processRecord(namedFields(def["fields"]), {}, fieldPath, errors);
      else if (def["required"] === true) errors[fieldPath] = "required field missing";
      continue;
    }
    if (given === null) {
      if (def["required"] === true) errors[fieldPath] = "required field missing";
      continue;
    }
    const processed = processValue(def, given, fieldPath, errors);
    if (processed !== undefined) out[name] = processed;
  }
  return out;
}

function processValue(def: FieldDef, value: unknown, path: string, errors: Record<string, string>): unknown {
  const type = def["type"];
  switch (type) {
    case "string":
      if (typeof value !== "string") return reject(errors, path, "expected a string");
      break;
    case "number":
      if (typeof value !== "number" || !Number.isFinite(value)) return reject(errors, path, "expected a number");
      break;
    case "integer":
      if (typeof value !== "number" || !Number.isInteger(value)) return reject(errors, path, "expected an integer");
      break;
    case "boolean":
      if (typeof value !== "boolean") return reject(errors, path, "expected a boolean");
      break;
    case "array":
    case "set": {
      if (!Array.isArray(value)) return reject(errors, path, type === "array" ? "expected an array" : "expected a set");
      const element = isRecord(def["elements"]) ? def["elements"] : null;
      let items = value.map((item, i) => (element ? processValue(element, item, `${path}[${i + 1}]`, errors) : item));
      if (type === "set") items = [...new Set(items)];
      if (!checkLength(def, items.length, path, errors)) return undefined;
      return items;
    }
    case "map": {
      if (!isRecord(value)) return reject(errors, path, "expected a map");
      const valueDef = isRecord(def["values"]) ? def["values"] : null;
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = valueDef ? processValue(valueDef, v, `${path}.${k}`, errors) : v;
      return out;
    }
    case "record":
      if (!isRecord(value)) return reject(errors, path, "expected a record");
      return processRecord(namedFields(def["fields"]), value, path, errors);
    default:
      return value;
  }
  return checkScalar(def, value, path, errors) ? value : undefined;
}

function checkScalar(def: FieldDef, value: unknown, path: string, errors: Record<string, string>): boolean {
  const oneOf = def["one_of"];
  if (Array.isArray(oneOf) && !oneOf.includes(value)) return fail(errors, path, `expected one of: ${oneOf.join(", ")}`);
  if (typeof value === "number") {
    const between = def["between"];
    if (Array.isArray(between) && (value < Number(between[0]) || value > Number(between[1]))) {
      return fail(errors, path, `value should be between ${String(between[0])} and ${String(between[1])}`);
    }
    if (typeof def["gt"] === "number" && !(value > def["gt"])) return fail(errors, path, `value must be greater than ${def["gt"]}`);
  }
  if (typeof value === "string") {
    if (!checkLength(def, value.length, path, errors)) return false;
    if (typeof def["starts_with"] === "string" && !value.startsWith(def["starts_with"])) {
      return fail(errors, path, `should start with: ${def["starts_with"]}`);
    }
  }
  return true;
}

function checkLength(def: FieldDef, length: number, path: string, errors: Record<string, string>): boolean {
  if (typeof def["len_eq"] === "number" && length !== def["len_eq"]) return fail(errors, path, `length must be ${def["len_eq"]}`);
  if (typeof def["len_min"] === "number" && length < def["len_min"]) return fail(errors, path, `length must be at least ${def["len_min"]}`);
  if (typeof def["len_max"] === "number" && length > def["len_max"]) return fail(errors, path, `length must be at most ${def["len_max"]}`);
  return true;
}

function fail(errors: Record<string, string>, path: string, message: string): false {
  errors[path] = message;
  return false;
}

function reject(errors: Record<string, string>, path: string, message: string): undefined {
  errors[path] = message;
  return undefined;
}
