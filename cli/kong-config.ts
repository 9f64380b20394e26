// The policy document as the Kong plugin's `config`: the same fields in the schema's order, with
// `auth.bodyRule.equals` in Kong's string form, checked against the plugin's own Kong schema.
import { Schema } from "../kong-plugins/src/schema";
import { policyDocumentFromKongConfig } from "../kong-plugins/src/kong-config";
import { checkKongConfig, orderLikeSchema, readKongSchema } from "./kong-schema";
import type { KongField } from "./kong-schema";
import { isJsonObject, memberOf, setMember } from "./json-value";
import type { JsonObject, JsonValue } from "./json-value";

export const meshgateKongSchema: KongField[] = readKongSchema(Schema);

export type KongConfigResult = { config: JsonObject; errors: [] } | { config: null; errors: string[] };

export function kongConfigFor(document: JsonObject): KongConfigResult {
  const ordered = orderLikeSchema(meshgateKongSchema, document) as JsonObject;
  const errors: string[] = [];
  const auth = memberOf(ordered, "auth");
  const bodyRule = isJsonObject(auth) ? memberOf(auth, "bodyRule") : undefined;
  if (isJsonObject(bodyRule) && memberOf(bodyRule, "equals") !== undefined) {
    const equals = memberOf(bodyRule, "equals") as JsonValue;
    const text = kongEqualsText(equals);
    if (text === null) errors.push(`auth.bodyRule.equals: ${JSON.stringify(equals)} has no Kong string form that reads back as the same value`);
    else setMember(bodyRule, "equals", text);
  }
  const checked = checkKongConfig(meshgateKongSchema, ordered);
  errors.push(...checked.errors.map((error) => `the Kong schema of the meshgate plugin rejects ${error}`));
  return errors.length > 0 ? { config: null, errors } : { config: ordered, errors: [] };
}

/** Kong's `equals` is a string: JSON text for a non-string scalar, the string itself when that reads
 *  back unchanged, else the string as JSON text (`"true"` the string, not the boolean). */
function kongEqualsText(value: JsonValue): string | null {
  const candidates = typeof value === "string" ? [value, JSON.stringify(value)] : [JSON.stringify(value)];
  return candidates.find((text) => readsBackAs(text, value)) ?? null;
}

function readsBackAs(text: string, value: JsonValue): boolean {
  const read = policyDocumentFromKongConfig({ auth: { bodyRule: { pointer: "/", equals: text } } });
  const auth = read.auth;
  const rule = isJsonObject(auth) ? memberOf(auth, "bodyRule") : undefined;
  return isJsonObject(rule) && memberOf(rule, "equals") === value;
}
