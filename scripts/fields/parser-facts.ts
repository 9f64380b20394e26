// The parser's facts from the field table: one AssemblyScript-compatible module of plain constants (ranges,
// lengths, phrases, scalar defaults) that policy-parse.ts, policy-routes.ts and policy.ts read instead of
// restating them. The table itself stays Node-only data; the wasm build compiles only these constants.
import { POLICY_FIELDS, SHARED_SYNTAX, childFields, fieldName, memberFields } from "../../shared/src/policy-fields";
import type { PolicyField } from "../../shared/src/policy-fields";

export const PARSER_FACTS_PATH = "shared/src/policy-facts.generated.ts";

/** `auth.tokenSources[].name` (variant `cookie`) → `AUTH_TOKEN_SOURCES_ITEM_NAME_COOKIE`. */
export function factName(field: PolicyField): string {
  const words = field.path.replace(/\[\]/g, ".item").replace(/\.\*/g, ".value") + (field.variant ? `.${field.variant}` : "");
  return words.split(/[.\s]+/).map((word) => word.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase()).join("_");
}

function numberType(field: PolicyField): string {
  return field.type === "integer" ? "i32" : "f64";
}

/** A function, not a const: asc compiles every string const of a module into the binary, a function only when called. */
function stringFact(name: string, value: string): string {
  return `export function ${name}(): string { return ${JSON.stringify(value)}; }`;
}

function listFact(name: string, values: string[]): string {
  return `export function ${name}(): Array<string> { return [${values.map((value) => JSON.stringify(value)).join(", ")}]; }`;
}

/** `headerName` → `HEADER_NAME`. */
function constantCase(words: string): string {
  return words.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase();
}

/** The member names an object row's parser accepts (the unknown-field error lists them); for an object whose rows
 *  differ by a sibling's value (a token source's `type`), one list per value. */
function memberLines(field: PolicyField, name: string): string[] {
  const lines = [listFact(`${name}_MEMBERS`, memberFields(field).map(fieldName))];
  if (field.except) lines.push(listFact(`${name}_EXCEPT`, field.except));
  const children = POLICY_FIELDS.filter((row) => row.path.startsWith(`${field.path}.`) && !row.path.slice(field.path.length + 1).includes("."));
  const variants = [...new Set(children.flatMap((row) => (row.variant ? [row.variant.split(" ")[0]] : [])))];
  for (const variant of variants) {
    const names = children.filter((row) => !row.variant || row.variant.split(" ")[0] === variant).map(fieldName);
    lines.push(listFact(`${name}_${variant.toUpperCase()}_MEMBERS`, [...new Set(names)]));
  }
  return lines;
}

function literal(value: number): string {
  return Number.isInteger(value) ? String(value) : JSON.stringify(value);
}

function factLines(field: PolicyField): string[] {
  const name = factName(field);
  const lines = [stringFact(`${name}_PHRASE`, field.phrase)];
  if (field.type === "object") lines.push(...memberLines(field, name));
  if (field.range) {
    const type = numberType(field);
    lines.push(`export const ${name}_MIN: ${type} = ${literal(field.range[0])};`);
    lines.push(`export const ${name}_MAX: ${type} = ${literal(field.range[1])};`);
  }
  // The parser maps a choice's index to its enum (policy.ts), so the table's order is the enum's order.
  if (field.choices) {
    lines.push(`export function ${name}_CHOICES(): Array<string> { return [${field.choices.map((c) => JSON.stringify(c)).join(", ")}]; }`);
  }
  if (field.alsoAllowed) {
    if (field.alsoAllowed.length !== 1) throw new Error(`${field.path}: the parser reads one alsoAllowed value`);
    lines.push(`export const ${name}_ALSO_ALLOWED: ${numberType(field)} = ${literal(field.alsoAllowed[0])};`);
  }
  if (field.key) {
    lines.push(stringFact(`${name}_KEY_PHRASE`, field.key.phrase));
    lines.push(`export const ${name}_KEY_MIN_LENGTH: i32 = ${field.key.length[0]};`);
    lines.push(`export const ${name}_KEY_MAX_LENGTH: i32 = ${field.key.length[1]};`);
  }
  if (field.itemPhrase) lines.push(stringFact(`${name}_ITEM_PHRASE`, field.itemPhrase));
  if (field.stringLength) {
    lines.push(`export const ${name}_STRING_MIN_LENGTH: i32 = ${field.stringLength[0]};`);
    lines.push(`export const ${name}_STRING_MAX_LENGTH: i32 = ${field.stringLength[1]};`);
  }
  if (field.excludes) lines.push(listFact(`${name}_EXCLUDES`, field.excludes));
  if (field.phraseAbove) lines.push(stringFact(`${name}_PHRASE_ABOVE`, field.phraseAbove));
  if (field.length) {
    lines.push(`export const ${name}_MIN_LENGTH: i32 = ${field.length[0]};`);
    lines.push(`export const ${name}_MAX_LENGTH: i32 = ${field.length[1]};`);
  }
  const value = field.default;
  if (typeof value === "boolean") lines.push(`export const ${name}_DEFAULT: bool = ${value};`);
  else if (typeof value === "string") lines.push(stringFact(`${name}_DEFAULT`, value));
  // A choice's default as its index too: the parser's enums follow the choices' order, so this is the enum default.
  if (typeof value === "string" && field.choices) {
    const index = field.choices.indexOf(value);
    if (index < 0) throw new Error(`${field.path}: default ${JSON.stringify(value)} is not one of its choices`);
    lines.push(`export const ${name}_DEFAULT_INDEX: i32 = ${index};`);
  }
  else if (typeof value === "number") lines.push(`export const ${name}_DEFAULT: ${numberType(field)} = ${literal(value)};`);
  return lines;
}

export function renderParserFacts(): string {
  const out = [
    "// generated by npm run gen:fields from policy-fields.ts; do not edit.",
    "// Each field's error phrase, choices (_CHOICES, in the order of the parser's enums), range (_MIN/_MAX), string length or item count (_MIN_LENGTH/_MAX_LENGTH),",
    "// scalar default (a choice's also as _DEFAULT_INDEX, its enum value), an object's member names (_MEMBERS; _EXCEPT: the",
    "// members a route may not set) and a map's keys (_KEY_*), named after its path (`[]` = _ITEM, a map's values = _VALUE,",
    "// a variant's name last). Strings and lists are functions: asc would put every string const in the binary, used or not.",
    "",
  ];
  out.push("// The sections of the document, and the length limits of syntaxes several fields share (SHARED_SYNTAX).");
  out.push(listFact("POLICY_MEMBERS", childFields("").map(fieldName)));
  for (const [syntax, [low, high]] of Object.entries(SHARED_SYNTAX)) {
    out.push(`export const SYNTAX_${constantCase(syntax)}_MIN_LENGTH: i32 = ${low};`);
    out.push(`export const SYNTAX_${constantCase(syntax)}_MAX_LENGTH: i32 = ${high};`);
  }
  out.push("");
  for (const field of POLICY_FIELDS) out.push(`// ${field.path}${field.variant ? ` (${field.variant})` : ""}`, ...factLines(field));
  return out.join("\n") + "\n";
}
