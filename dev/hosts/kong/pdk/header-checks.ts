// `kong/pdk/private/checks.lua`: header name/value validation and normalisation, same messages.
import type { HeaderValue } from "../header-store.js";
import { LuaError, luaQuote, luaType } from "./lua.js";

export function validateHeader(name: unknown, value: unknown): asserts name is string {
  const tname = luaType(name);
  if (tname !== "string") throw new LuaError(`invalid header name ${luaQuote(name)}: got ${tname}, expected string`);
  const tvalue = luaType(value);
  if (tvalue === "table") {
    for (const item of arrayPart(value)) {
      const titem = luaType(item);
      if (titem !== "string") throw new LuaError(`invalid header value in array ${luaQuote(name)}: got ${titem}, expected string`);
    }
  } else if (tvalue !== "string" && tvalue !== "number" && tvalue !== "boolean") {
    throw new LuaError(`invalid header value for ${luaQuote(name)}: got ${tvalue}, expected array of strings, string, number or boolean`);
  }
}

export function validateHeaders(headers: unknown): asserts headers is Record<string, unknown> {
  if (luaType(headers) !== "table") throw new LuaError("headers must be a table");
  for (const [key, value] of tableEntries(headers)) {
    if (typeof key !== "string") throw new LuaError(`invalid header name ${luaQuote(key)}: got number, expected string`);
    const tv = luaType(value);
    if (tv === "table") {
      for (const item of arrayPart(value)) {
        const titem = luaType(item);
        if (titem !== "string") throw new LuaError(`invalid header value in array ${luaQuote(key)}: got ${titem}, expected string`);
      }
    } else if (tv !== "string" && tv !== "number" && tv !== "boolean") {
      throw new LuaError(`invalid header value for ${luaQuote(key)}: got ${tv}, expected string, number, boolean or array of strings`);
    }
  }
}

/** `normalize_multi_header`: "" becomes " ", numbers/booleans become strings, a table keeps its array part. */
export function normalizeMultiHeader(value: unknown): HeaderValue {
  if (typeof value === "string") return value === "" ? " " : value;
  if (luaType(value) === "table") return arrayPart(value).map((v) => (v === "" ? " " : String(v)));
  return String(value);
}

/** Entries of a Lua table that came from a JS array (1-based integer keys) or object (string keys). */
export function tableEntries(value: unknown): Array<[string | number, unknown]> {
  if (Array.isArray(value)) return value.map((v, i) => [i + 1, v]);
  if (typeof value === "object" && value !== null) return Object.entries(value);
  return [];
}

/** What Lua's `ipairs` sees: the array part (a JS object has none). */
export function arrayPart(value: unknown): unknown[] {
  if (!Array.isArray(value)) return [];
  const out: unknown[] = [];
  for (const v of value) {
    if (v === null || v === undefined) break;
    out.push(v);
  }
  return out;
}
