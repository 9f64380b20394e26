// Validates a policy source with the core's own parser, so the CLI accepts exactly what both planes
// accept and reports the same `path: expected …` lines.
import { parsePolicy } from "../shared/src/policy-parse";
import { policyToJson } from "../shared/src/policy-json";
import { Plane, planeGaps } from "../shared/src/plane-completeness";
import { stringifyJson } from "../shared/src/json";
import { isJsonObject } from "./json-value";
import type { JsonObject, JsonValue } from "./json-value";
import type { PolicySource } from "./load";
import { lineAndColumn, sourceExcerpt } from "./source-excerpt";
import { yamlToJson } from "./yaml-to-json";

export interface CheckedPolicy {
  /** The document as written (only the fields set), key order as in the source. */
  document: JsonObject;
  /** The effective policy with every default, in the document's field names (policyToJson). */
  effective: JsonObject;
  /** What each plane lacks to run it (the core's planeGaps): empty = complete for that plane. */
  gaps: { kong: string[]; envoy: string[] };
}

export type PolicyCheck = { policy: CheckedPolicy; errors: [] } | { policy: null; errors: string[] };

export function checkPolicy(source: PolicySource): PolicyCheck {
  let jsonText = source.text;
  if (source.format === "yaml") {
    const converted = yamlToJson(source.text);
    if (converted.errors.length > 0) return { policy: null, errors: converted.errors };
    jsonText = JSON.stringify(converted.value);
  }
  const result = parsePolicy(jsonText);
  if (result.policy === null || result.errors.length > 0) {
    return { policy: null, errors: result.errors.map((error) => withLineAndColumn(error, jsonText, source.format)) };
  }
  const document = JSON.parse(jsonText) as JsonValue;
  const effective = JSON.parse(stringifyJson(policyToJson(result.policy))) as JsonValue;
  if (!isJsonObject(document) || !isJsonObject(effective)) return { policy: null, errors: ["$: expected object"] };
  const gaps = { kong: planeGaps(result.policy, Plane.Kong), envoy: planeGaps(result.policy, Plane.Envoy) };
  return { policy: { document, effective, gaps }, errors: [] };
}

/** The core names the offset of a JSON syntax error; people look for a line, a column and the line itself. */
function withLineAndColumn(error: string, text: string, format: PolicySource["format"]): string {
  const match = format === "json" && error.startsWith("$: invalid JSON:") ? / at offset (\d+)$/.exec(error) : null;
  if (!match) return error;
  const { line, column } = lineAndColumn(text, Number(match[1]));
  return `${error} (line ${line}, column ${column})\n${sourceExcerpt(text, line, column)}`;
}
