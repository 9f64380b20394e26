// How values that crossed MessagePack look to Lua, and the errors a Lua PDK function raises.

/** A Lua `error()` inside a PDK function: Kong aborts the plugin and answers 500 (access/rewrite). */
export class LuaError extends Error {
  override readonly name = "LuaError";
}

/** Thrown after `kong.response.exit/error` stored the delayed response: Kong yields and never Steps again. */
export class ExitSignal extends Error {
  override readonly name = "ExitSignal";
}

export type LuaTypeName = "nil" | "string" | "number" | "boolean" | "table";

export function luaType(value: unknown): LuaTypeName {
  if (value === null || value === undefined) return "nil";
  if (typeof value === "string" || value instanceof Uint8Array) return "string";
  if (typeof value === "number" || typeof value === "bigint") return "number";
  if (typeof value === "boolean") return "boolean";
  return "table";
}

/** Lua `tostring`, except that tables render as `table: <json>` instead of an address. */
export function luaToString(value: unknown): string {
  switch (luaType(value)) {
    case "nil":
      return "nil";
    case "string":
      return value instanceof Uint8Array ? Buffer.from(value).toString("latin1") : String(value);
    case "number":
    case "boolean":
      return String(value);
    default:
      return `table: ${JSON.stringify(value)}`;
  }
}

/** Lua `%q` for error messages: strings quoted, anything else as tostring. */
export function luaQuote(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value) : luaToString(value);
}

/** lua-cjson output: like JSON.stringify, but `/` is escaped as `\/`. */
export function cjsonEncode(value: unknown): string {
  return (JSON.stringify(value) ?? "null").replaceAll("/", "\\/");
}

export function isLuaTable(value: unknown): value is Record<string, unknown> | unknown[] {
  return luaType(value) === "table";
}
