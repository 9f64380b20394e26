// Kong hands the plugin its config as JSON with every unset optional field as null and a few keys
// of its own. This turns that into the policy document the core validates.

/** Keys Kong adds to every plugin config (kong/runloop/plugins_iterator.lua). */
const KONG_KEYS = new Set(["route_id", "service_id", "consumer_id", "plugin_instance_name", "__plugin_id", "__ws_id", "__key__", "__seq__"]);

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export function policyDocumentFromKongConfig(config: Record<string, unknown>): Record<string, Json> {
  const doc: Record<string, Json> = {};
  for (const [key, value] of Object.entries(config)) {
    if (KONG_KEYS.has(key)) continue;
    const cleaned = withoutNulls(value as Json);
    if (cleaned !== undefined) doc[key] = cleaned;
  }
  const auth = doc.auth;
  if (isObject(auth) && isObject(auth.bodyRule) && typeof auth.bodyRule.equals === "string") {
    auth.bodyRule.equals = bodyRuleValue(auth.bodyRule.equals);
  }
  return doc;
}

/** Kong's `equals` is a string: JSON text of a non-string scalar (`true`, `1`, `null`), else the string itself. */
function bodyRuleValue(text: string): Json {
  if (text === "true") return true;
  if (text === "false") return false;
  if (text === "null") return null;
  if (/^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$/.test(text)) return Number(text);
  if (text.length >= 2 && text.startsWith("\"") && text.endsWith("\"")) {
    try { return JSON.parse(text) as string; } catch { return text; }
  }
  return text;
}

/** Drops nulls from objects (Kong's "unset"); keeps them inside arrays where they mean something. */
function withoutNulls(value: Json): Json | undefined {
  if (value === null) return undefined;
  if (Array.isArray(value)) return value.map((item) => (item === null ? null : withoutNulls(item) ?? null));
  if (typeof value === "object") {
    const out: Record<string, Json> = {};
    for (const [key, inner] of Object.entries(value)) {
      const cleaned = withoutNulls(inner);
      if (cleaned !== undefined) out[key] = cleaned;
    }
    return out;
  }
  return value;
}

function isObject(value: Json | undefined): value is { [key: string]: Json } {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
