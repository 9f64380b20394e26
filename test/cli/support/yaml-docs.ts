import { parseAllDocuments } from "yaml";

/** Every document of a YAML stream as plain values; throws on a syntax error. */
export function yamlDocuments(text: string): unknown[] {
  return parseAllDocuments(text).map((document) => {
    if (document.errors.length > 0) throw new Error(document.errors.map((error) => error.message).join("\n"));
    return document.toJS() as unknown;
  });
}

export function asRecord(value: unknown): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new Error(`expected an object, got ${JSON.stringify(value)}`);
  return value as Record<string, unknown>;
}

/** Walks plain member names: at(doc, "spec", "configPatches", 0, "match"). */
export function at(value: unknown, ...path: Array<string | number>): unknown {
  let current = value;
  for (const step of path) {
    if (typeof step === "number") {
      if (!Array.isArray(current)) throw new Error(`expected an array at ${String(step)}`);
      current = current[step];
    } else {
      current = asRecord(current)[step];
    }
  }
  return current;
}
