// JWK Sets (RFC 7517 §5) as a JWKS endpoint publishes them, bounded: at most MAX_JWKS_BYTES of text and
// MAX_JWKS_KEYS keys. Keys the core cannot or must not use (see jwk.ts: `oct`, private members, other curves,
// wrong `use`) are skipped with their reason, so one odd key does not take the issuer's other keys down; a set
// with no usable key at all is refused.
import { JsonValue, parseJson } from "./json";
import { PublicJwk, parsePublicJwk } from "./jwk";

export const MAX_JWKS_BYTES: i32 = 65536;
export const MAX_JWKS_KEYS: i32 = 32;

export class KeySet {
  keys: Array<PublicJwk> = new Array<PublicJwk>();
  /** "key <index>: <reason>" for every key left out. */
  skipped: Array<string> = new Array<string>();
}

export class KeySetResult {
  keySet: KeySet | null = null;
  error: string = "";
}

function refused(error: string): KeySetResult {
  const r = new KeySetResult();
  r.error = error;
  return r;
}

export function parseKeySet(text: string): KeySetResult {
  if (text.length > MAX_JWKS_BYTES) return refused("key set larger than " + MAX_JWKS_BYTES.toString() + " bytes");
  const parsed = parseJson(text);
  if (!parsed.ok()) return refused("key set is not JSON: " + parsed.error);
  const root = parsed.value!;
  if (!root.isObject()) return refused("key set is not a JSON object");
  const keys = root.get("keys");
  if (keys == null || !keys.isArray()) return refused("key set has no \"keys\" array");
  if (keys.items.length > MAX_JWKS_KEYS) return refused("key set has more than " + MAX_JWKS_KEYS.toString() + " keys");
  return keySetOf(keys.items);
}

function keySetOf(items: Array<JsonValue>): KeySetResult {
  const set = new KeySet();
  for (let i = 0; i < items.length; i++) {
    const key = parsePublicJwk(items[i]);
    if (key.key != null) set.keys.push(key.key!);
    else set.skipped.push("key " + i.toString() + ": " + key.error);
  }
  if (set.keys.length == 0) return refused("key set has no usable key" + (set.skipped.length > 0 ? " (" + set.skipped.join("; ") + ")" : ""));
  const result = new KeySetResult();
  result.keySet = set;
  return result;
}
