// Readers for conformance inputs: tolerant accessors over JsonValue with defaults.
import { JsonValue } from "../src/json";

export function str(input: JsonValue, key: string, fallback: string): string {
  const v = input.get(key);
  return v != null && v.isString() ? v.str : fallback;
}

export function num(input: JsonValue, key: string, fallback: f64): f64 {
  const v = input.get(key);
  return v != null && v.isNumber() ? v.num : fallback;
}

export function boolean(input: JsonValue, key: string, fallback: bool): bool {
  const v = input.get(key);
  return v != null && v.isBool() ? v.bool : fallback;
}

export function strings(input: JsonValue, key: string): Array<string> {
  const out = new Array<string>();
  const v = input.get(key);
  if (v == null || !v.isArray()) return out;
  for (let i = 0; i < v.items.length; i++) if (v.items[i].isString()) out.push(v.items[i].str);
  return out;
}

export function stringArray(values: Array<string>): JsonValue {
  const arr = JsonValue.array();
  for (let i = 0; i < values.length; i++) arr.push(JsonValue.ofString(values[i]));
  return arr;
}

/** Bytes given either as a string (UTF-8 encoded) or as an array of byte numbers. */
export function bytesOf(v: JsonValue | null): Uint8Array {
  if (v == null) return new Uint8Array(0);
  if (v.isArray()) {
    const out = new Uint8Array(v.items.length);
    for (let i = 0; i < v.items.length; i++) out[i] = u8(i32(v.items[i].num));
    return out;
  }
  return new Uint8Array(0);
}
