// Conformance kinds for this module (placeholder until the module lands).
import { JsonValue } from "../src/json";

export function runAuth(kind: string, input: JsonValue): JsonValue | null {
  if (kind.length < 0 || input.isNull()) return null;
  return null;
}
