// Result of checking untrusted input: the value, or the field that is wrong and why.
export type Checked<T> = { ok: true; value: T } | { ok: false; field: string; message: string };

export function valid<T>(value: T): Checked<T> {
  return { ok: true, value };
}

export function invalid<T>(field: string, message: string): Checked<T> {
  return { ok: false, field, message };
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Rejects keys outside `known`, so a typo in a field name is reported instead of ignored. */
export function firstUnknownKey(object: Record<string, unknown>, known: readonly string[]): string | null {
  for (const key of Object.keys(object)) {
    if (!known.includes(key)) return key;
  }
  return null;
}
