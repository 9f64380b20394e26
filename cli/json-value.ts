// Plain JSON values as JavaScript holds them, and the error-path notation the core uses
// (shared/README.md "Error format"): `auth.tokenSources[1].type`, `auth["my field"]`, `$` for the document.

export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
export interface JsonObject { [key: string]: JsonValue }

export function isJsonObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** An own member only: a policy key such as `constructor` must never reach Object.prototype. */
export function memberOf(object: JsonObject, key: string): JsonValue | undefined {
  return Object.prototype.hasOwnProperty.call(object, key) ? object[key] : undefined;
}

/** Defines rather than assigns, so a key named `__proto__` stays an ordinary member. */
export function setMember(object: JsonObject, key: string, value: JsonValue): void {
  Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
}

export function memberPath(parent: string, key: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(key)) return `${parent}[${JSON.stringify(key)}]`;
  return parent === "" ? key : `${parent}.${key}`;
}

export function itemPath(parent: string, index: number): string {
  return `${parent}[${index}]`;
}

export function displayPath(path: string): string {
  return path === "" ? "$" : path;
}

export function deepCopy(value: JsonValue): JsonValue {
  if (Array.isArray(value)) return value.map(deepCopy);
  if (isJsonObject(value)) {
    const out: JsonObject = {};
    for (const [key, inner] of Object.entries(value)) setMember(out, key, deepCopy(inner));
    return out;
  }
  return value;
}
