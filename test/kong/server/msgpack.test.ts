// kong-plugins/server/src/msgpack.ts: what it writes decodes with @msgpack/msgpack (the library kong-pdk and the
// dev host's Lua-style codec agree with) to the same value, what that library writes it reads back, and the
// protocol's own rules: byte strings on request, `__proto__` keys renamed, incomplete frames told apart from bad ones.
import { decode, encode } from "@msgpack/msgpack";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { INCOMPLETE, MsgpackError, MsgpackReader, MsgpackWriter, PROTO_STANDIN } from "../../../kong-plugins/server/src/msgpack";

function read(bytes: Uint8Array, byteStrings = false): unknown {
  const reader = new MsgpackReader();
  reader.reset(Buffer.from(bytes), 0);
  reader.byteStrings = byteStrings;
  const value = reader.value();
  expect(reader.pos).toBe(bytes.length);
  return value;
}

function write(value: unknown): Buffer {
  const writer = new MsgpackWriter();
  writer.value(value);
  return writer.take();
}

/** Values Kong and plugins exchange: no undefined inside (it travels as nil), keys that are plain strings. */
const wireValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    fc.constant(null), fc.boolean(), fc.string({ unit: "binary" }), fc.integer(),
    fc.integer({ min: -(2 ** 53) + 1, max: 2 ** 53 - 1 }), fc.double({ noNaN: true }).filter((d) => !Object.is(d, -0)), // -0 is the integer 0 to both writers
    fc.array(tie("value"), { maxLength: 5 }),
    fc.dictionary(fc.string().filter((k) => k !== "__proto__"), tie("value"), { maxKeys: 5 }),
  ),
})).value;

describe("MsgpackWriter", () => {
  it("writes what @msgpack/msgpack decodes to the same value", () => {
    fc.assert(fc.property(wireValue, (value) => {
      expect(decode(write(value))).toEqual(value);
    }), { numRuns: 300 });
  });

  it("writes undefined as nil, byte arrays as bin, and refuses what MessagePack cannot carry", () => {
    expect(decode(write([undefined, { a: undefined }]))).toEqual([null, { a: null }]);
    expect([...(decode(write(new Uint8Array([0, 255]))) as Uint8Array)]).toEqual([0, 255]);
    expect(() => write({ f: () => 1 })).toThrow(MsgpackError);
    expect(() => write(Symbol("s"))).toThrow(MsgpackError);
  });

  it("grows its buffer for large values and starts empty after take()", () => {
    const big = "x".repeat(100_000) + "é";
    const writer = new MsgpackWriter();
    writer.value(big);
    expect(decode(writer.take())).toBe(big);
    writer.value(1);
    expect([...writer.take()]).toEqual([1]);
  });
});

describe("MsgpackReader", () => {
  it("reads what @msgpack/msgpack writes", () => {
    fc.assert(fc.property(wireValue, (value) => {
      expect(read(encode(value))).toEqual(value);
    }), { numRuns: 300 });
  });

  it("reads strings as UTF-8 text, or byte for byte as byte strings when asked", () => {
    const raw = Buffer.from([0xa6, 0x61, 0xc1, 0xb3, 0xe9, 0xff, 0x7a]);
    expect(read(raw, true)).toBe("a\u00c1\u00b3\u00e9\u00ffz");
    expect(read(raw, false)).toBe(Buffer.from([0x61, 0xc1, 0xb3, 0xe9, 0xff, 0x7a]).toString("utf8"));
  });

  it("hands a map key __proto__ over as __proto_: (an own key, no prototype change)", () => {
    const value = read(Buffer.concat([Buffer.from([0x81, 0xa9]), Buffer.from("__proto__"), Buffer.from([0x91, 0xa1, 0x78])])) as Record<string, unknown>;
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.keys(value)).toEqual([PROTO_STANDIN]);
    expect(value[PROTO_STANDIN]).toEqual(["x"]);
  });

  it("throws INCOMPLETE for every proper prefix of a value, MsgpackError for bytes Kong never sends", () => {
    const frame = encode([0, 7, "plugin.Step", [{ EventId: 3, Data: { "x-a": ["v".repeat(40)] } }]]);
    for (let cut = 0; cut < frame.length; cut++) {
      const reader = new MsgpackReader();
      reader.reset(Buffer.from(frame.subarray(0, cut)), 0);
      expect(() => reader.value()).toThrow(expect.toSatisfy((e) => e === INCOMPLETE));
    }
    expect(() => read(Buffer.from([0xc1]))).toThrow(MsgpackError);
    expect(() => read(Buffer.from([0xd4, 0x01, 0x02]))).toThrow(MsgpackError); // fixext 1
    expect(() => read(Buffer.from([0x81, 0x90, 0x01]))).toThrow(MsgpackError); // an array as map key
    expect(() => read(Buffer.from([...Array<number>(100).fill(0x91), 0x01]))).toThrow(/nesting/);
  });

  it("skips a value without building it, and reads bin as a copy", () => {
    const bytes = Buffer.concat([Buffer.from(encode({ a: [1, "b", { c: new Uint8Array([9]) }] })), Buffer.from([0x2a])]);
    const reader = new MsgpackReader();
    reader.reset(bytes, 0);
    reader.skip();
    expect(reader.value()).toBe(42);
    const bin = read(encode(new Uint8Array([1, 2, 3]))) as Uint8Array;
    expect(bin).toBeInstanceOf(Uint8Array);
    expect(Buffer.isBuffer(bin)).toBe(false);
    expect([...bin]).toEqual([1, 2, 3]);
  });
});
