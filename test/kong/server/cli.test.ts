// kong-plugins/server/src/cli.ts: kong-js-pluginserver's command line (kong-pdk cli.js), as Kong's start_cmd and
// query_cmd write it.
import { describe, expect, it } from "vitest";
import { parseArgs, UsageError } from "../../../kong-plugins/server/src/cli";

describe("parseArgs", () => {
  it("has kong-pdk's defaults", () => {
    expect(parseArgs(["-d", "/p"])).toEqual({
      kongPrefix: "/usr/local/kong", sockName: "js_pluginserver.sock", pluginsDirectory: "/p",
      dumpPluginInfo: null, dumpAllPlugins: false, logLevel: "info",
    });
  });

  it("takes every spelling kong-pdk takes", () => {
    expect(parseArgs(["--plugins-directory", "/p", "--kong-prefix", "/k", "--sock-name", "s.sock", "--dump-all-plugins"]))
      .toMatchObject({ pluginsDirectory: "/p", kongPrefix: "/k", sockName: "s.sock", dumpAllPlugins: true });
    expect(parseArgs(["-plugins-directory", "/p", "-kong-prefix", "/k", "-dump-plugin-info", "meshgate"]))
      .toMatchObject({ pluginsDirectory: "/p", kongPrefix: "/k", dumpPluginInfo: "meshgate" });
    expect(parseArgs(["--plugins-directory=/p", "-p", "/k"])).toMatchObject({ pluginsDirectory: "/p", kongPrefix: "/k" });
    expect(parseArgs(["-d", "/p", "-v"])).toMatchObject({ logLevel: "info" });
    expect(parseArgs(["-d", "/p", "-vv"])).toMatchObject({ logLevel: "debug" });
    expect(parseArgs(["-d", "/p", "--verbose", "-v"])).toMatchObject({ logLevel: "debug" });
    expect(parseArgs(["--version"])).toBe("version");
  });

  it("refuses a missing plugins directory, a flag without its value and unknown flags", () => {
    expect(() => parseArgs([])).toThrow(UsageError);
    expect(() => parseArgs(["-d"])).toThrow("option '-d' argument missing");
    expect(() => parseArgs(["-d", "/p", "--dump"])).toThrow("unknown option '--dump'");
  });
});
