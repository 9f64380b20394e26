// Kong's side of MessagePack: Lua strings are bytes, sent as `str` unchanged and read back as bytes.
import { Encoder } from "@msgpack/msgpack";
import { describe, expect, test } from "vitest";
import { encodeLua, luaDecoder } from "../../../dev/hosts/kong/lua-msgpack.js";

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");

describe("encodeLua", () => {
  test("a byte string goes out as a msgpack str holding exactly its bytes (0xE9 stays one byte)", () => {
    expect(hex(encodeLua("caf\xe9"))).toBe("a4636166e9");
    expect(hex(encodeLua("\xff\x80"))).toBe("a2ff80");
  });

  test("host text beyond a byte per char goes out as UTF-8", () => {
    expect(hex(encodeLua("€"))).toBe("a3e282ac");
  });

  test("for ASCII values it writes the same bytes as @msgpack/msgpack (ints of every width, floats, maps, bin)", () => {
    const value = [0, 1, 127, 128, 255, 256, 65535, 65536, 2 ** 32, -1, -32, -33, -128, -129, -32768, -32769, -(2 ** 31) - 1,
      1.5, -0.25, true, false, null, "x".repeat(40), "y".repeat(300), new Uint8Array([1, 2, 3]),
      { a: 1, b: [1, { c: "d" }], skipped: undefined }, Array.from({ length: 20 }, (_, i) => i),
      Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, i]))];
    expect(hex(encodeLua(value))).toBe(hex(new Encoder({ ignoreUndefined: true }).encode(value)));
  });
});

describe("luaDecoder", () => {
  test("str and bin both come back as byte strings: a plugin's UTF-8 'é' is two bytes", () => {
    const frame = new Encoder().encode([1, 7, null, { Data: { Args: ["x-set", "café", new Uint8Array([0xe9])] } }]);
    expect(luaDecoder().decode(frame)).toEqual([1, 7, null, { Data: { Args: ["x-set", "caf\xc3\xa9", "\xe9"] } }]);
  });

  test("an incomplete frame throws RangeError, so the RPC client waits for more bytes", () => {
    const frame = new Encoder().encode([1, 7, null, "a long enough string"]);
    expect(() => luaDecoder().decode(frame.subarray(0, frame.length - 3))).toThrow(RangeError);
  });
});
