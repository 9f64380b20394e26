// Pure parts of the Kong dev host: Kong schema processing of the plugin config, and main.ts's options.
import { describe, expect, test } from "vitest";
import { CliError, parseCliOptions } from "../../../dev/hosts/kong/cli-options.js";
import { processPluginConfig, SchemaViolation } from "../../../dev/hosts/kong/kong-schema.js";

const schemaOf = (fields: unknown[]): unknown => ({ name: "p", fields: [{ config: { type: "record", fields } }] });

describe("Kong schema processing of the plugin config", () => {
  const schema = schemaOf([
    { count: { type: "integer", default: 3 } },
    { ratio: { type: "number", gt: 0 } },
    { mode: { type: "string", one_of: ["a", "b"], default: "a" } },
    { groups: { type: "set", elements: { type: "string" } } },
    { headers: { type: "map", keys: { type: "string" }, values: { type: "string" } } },
    { redis: { type: "record", fields: [{ host: { type: "string", required: true } }, { port: { type: "integer", default: 6379, between: [1, 65535] } }] } },
    { name: { type: "string", required: true, len_min: 1 } },
  ]);

  test("fills defaults, dedupes sets, recurses into records, and leaves unset optional fields absent (not null)", () => {
    const out = processPluginConfig(schema, { name: "x", groups: ["g", "g", "h"], redis: { host: "r" }, ratio: null });
    expect(out).toEqual({ count: 3, mode: "a", groups: ["g", "h"], redis: { host: "r", port: 6379 }, name: "x" });
    expect("ratio" in out).toBe(false);
  });

  test("reports every violation with Kong's field path and wording", () => {
    let error: unknown;
    try {
      processPluginConfig(schema, { count: 1.5, ratio: 0, mode: "c", headers: { a: 1 }, redis: { port: 0 } });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(SchemaViolation);
    expect((error as SchemaViolation).fieldErrors).toEqual({
      "config.count": "expected an integer",
      "config.ratio": "value must be greater than 0",
      "config.mode": "expected one of: a, b",
      "config.headers.a": "expected a string",
      "config.redis.host": "required field missing",
      "config.redis.port": "value should be between 1 and 65535",
      "config.name": "required field missing",
    });
  });
});

describe("main.ts options", () => {
  test("flags win over environment variables; --upstream is repeatable; defaults are Kong's port 8000 on loopback", () => {
    const o = parseCliOptions(
      ["--plugins-dir", "/p", "--upstream", "canary=127.0.0.1:1,127.0.0.1:2", "--config", '{"a":1}', "--trusted-ips", "10.0.0.1, 10.0.0.2"],
      { KONG_HOST_SERVICE_URL: "http://svc:80", KONG_HOST_PLUGINS_DIR: "/ignored" },
    );
    expect(o).toMatchObject({ port: 8000, bind: "127.0.0.1" });
    expect(o.host).toMatchObject({
      pluginsDir: "/p",
      serviceUrl: "http://svc:80",
      config: { a: 1 },
      upstreams: { canary: ["127.0.0.1:1", "127.0.0.1:2"] },
      trustedIps: ["10.0.0.1", "10.0.0.2"],
    });
    expect(o.host.startCmd).toBeUndefined();
  });

  test("--plain-server selects kong-pdk's own kong-js-pluginserver", () => {
    const o = parseCliOptions(["--plugins-dir", "/p", "--service-url", "http://s", "--plain-server"], {});
    expect(o.host.startCmd?.at(-1)).toMatch(/kong-pdk\/bin\/kong-js-pluginserver$/);
  });

  test.each([
    [["--service-url", "http://s"], "--plugins-dir is required"],
    [["--plugins-dir", "/p", "--service-url", "http://s", "--port", "99999"], "--port must be an integer 0-65535"],
    [["--plugins-dir", "/p", "--service-url", "http://s", "--config", "{nope"], "--config is not valid JSON"],
    [["--plugins-dir", "/p", "--service-url", "http://s", "--bogus", "1"], "unknown option --bogus"],
  ])("rejects %j with a clear message", (argv, message) => {
    expect(() => parseCliOptions(argv, {})).toThrow(CliError);
    expect(() => parseCliOptions(argv, {})).toThrow(message);
  });
});
