import { describe, expect, it } from "vitest";
import { Schema } from "../../kong-plugins/src/schema";
import { checkKongConfig, KongSchemaError, readKongSchema } from "../../cli/kong-schema";

describe("the Kong schema DSL reader and checker", () => {
  it("understands every attribute kong-plugins/src/schema.ts uses, and every default there passes its own field's rules", () => {
    expect(() => readKongSchema(Schema)).not.toThrow();
    expect(readKongSchema(Schema).map((field) => field.name)).toEqual(["auth", "canary", "rateLimit", "log", "require", "routes"]);
  });

  it("refuses schema attributes it does not implement instead of ignoring them", () => {
    expect(() => readKongSchema([{ name: { type: "string", len_min: 1 } }])).toThrow(KongSchemaError);
    expect(() => readKongSchema([{ port: { type: "integer", between: [1, 10], default: 0 } }])).toThrow(/invalid default/);
    expect(() => readKongSchema([{ tags: { type: "set", elements: { type: "string" } } }])).toThrow(/unsupported type/);
  });

  const fields = readKongSchema([
    { mode: { type: "string", default: "a", one_of: ["a", "b"] } },
    { count: { type: "integer", between: [1, 10] } },
    { ratio: { type: "number", between: [0, 1], default: 0.5 } },
    { flag: { type: "boolean", default: true } },
    { names: { type: "array", elements: { type: "string" }, default: [] } },
    { items: { type: "array", elements: { type: "record", fields: [{ id: { type: "string", required: true } }] } } },
    { nested: { type: "record", required: false, fields: [{ x: { type: "integer", default: 1 } }] } },
    { always: { type: "record", required: true, fields: [{ y: { type: "string", default: "z" } }] } },
  ]);

  it("fills defaults, leaves unset optional fields null and expands required records, as Kong stores a config", () => {
    expect(checkKongConfig(fields, {})).toEqual({
      errors: [],
      config: { mode: "a", count: null, ratio: 0.5, flag: true, names: [], items: null, nested: null, always: { y: "z" } },
    });
    expect(checkKongConfig(fields, { nested: {} }).config.nested).toEqual({ x: 1 });
  });

  it.each([
    [{ mode: "c" }, "config.mode: expected one of: a, b"],
    [{ count: 11 }, "config.count: value should be between 1 and 10"],
    [{ count: 1.5 }, "config.count: expected an integer"],
    [{ ratio: "1" }, "config.ratio: expected a number"],
    [{ flag: "yes" }, "config.flag: expected a boolean"],
    [{ names: "a" }, "config.names: expected an array"],
    [{ names: [1] }, "config.names[0]: expected a string"],
    [{ items: [{}] }, "config.items[0].id: required field missing"],
    [{ items: [{ id: "a", extra: 1 }] }, "config.items[0].extra: unknown field"],
    [{ nested: [] }, "config.nested: expected a record"],
    [{ other: 1 }, "config.other: unknown field"],
  ])("rejects %j with %s", (config, error) => {
    expect(checkKongConfig(fields, config as never).errors).toEqual([error]);
  });
});
