import { describe, expect, it } from "vitest";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fixture, runCli } from "./support/cli";
import { testTempDir } from "../support/temp-dir.js";

const BAD_FIELD_ERRORS = [
  'auth.mode: expected one of "introspection", "forward", "jwt", got "saml"',
  "auth.timeoutMs: expected integer 1..60000, got 0",
  'auth.service: expected "url" (Kong) or "cluster" + "authority" + "path" (Envoy), got nothing',
  "rateLimit.burst: expected integer >= 0, got -1",
  "rateLimit.rate: expected integer 1..1000000, got nothing",
  "extra: unknown field (known: auth, canary, rateLimit, log, require, routes)",
];

function lines(text: string): string[] {
  return text.split("\n").filter((line) => line.length > 0);
}

describe("meshgate validate", () => {
  it.each(["full.yaml", "full.json", "kong-only.json", "envoy-only.yaml", "disabled-sections.yaml"])("prints ok and exits 0 for the valid policy %s", async (name) => {
    const result = await runCli(["validate", fixture(name)]);
    expect(result).toEqual({ code: 0, stdout: "ok\n", stderr: "" });
  });

  it("reports every error of a JSON policy, one core error line each, and exits 1", async () => {
    const result = await runCli(["validate", fixture("bad-fields.json")]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(lines(result.stderr)).toEqual(BAD_FIELD_ERRORS);
  });

  it("reports the same paths for the same mistakes written in YAML", async () => {
    const result = await runCli(["validate", fixture("bad-fields.yaml")]);
    expect(result.code).toBe(1);
    expect(lines(result.stderr)).toEqual(BAD_FIELD_ERRORS);
  });

  it("names the line and column of a JSON syntax error", async () => {
    const result = await runCli(["validate", fixture("bad-syntax.json")]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe([
      "$: invalid JSON: expected ':' at offset 25 (line 3, column 12)",
      '  3 |     "mode" "forward"',
      "    |            ^",
      "",
    ].join("\n"));
  });

  it("names the line and column of a YAML syntax error (a key written twice), with the line and a caret", async () => {
    const result = await runCli(["validate", fixture("bad-syntax.yaml")]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(["$: invalid YAML: Map keys must be unique (line 3, column 3)", "  3 |   mode: introspection", "    |   ^", ""].join("\n"));
  });

  it("reports one YAML indentation mistake as one error, not one per follow-on parser complaint", async () => {
    const stdin = "auth:\n  service: {url: 'http://a:1/x'}\nrateLimit:\n  rate: 5\n   burst: 2\n";
    const result = await runCli(["validate", "-"], { stdin });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe([
      "$: invalid YAML: Nested mappings are not allowed in compact mappings (line 4, column 9)",
      "  4 |   rate: 5",
      "    |         ^",
      "",
    ].join("\n"));
  });

  it("keeps tabs before the caret so it stays under the character it points at", async () => {
    const result = await runCli(["validate", "-"], { stdin: "{\n\t\"auth\" 1\n}" });
    expect(result.stderr.split("\n").slice(1, 3)).toEqual(['  2 | \t"auth" 1', `    | \t${" ".repeat(7)}^`]);
  });

  it("lists the known fields of an unknown one and suggests the closest, as the core words it on both planes", async () => {
    const result = await runCli(["validate", "-"], { stdin: "rateLimit:\n  rate: 5\n  perSecond: 1\n" });
    expect(result.code).toBe(1);
    expect(lines(result.stderr)).toEqual([
      'rateLimit.perSecond: unknown field, did you mean "periodSeconds"? (known: enabled, key, rate, periodSeconds, burst, policy, ' +
        "faultTolerant, redis, headers, name, status, preAuthIp, limits, shadow)",
    ]);
  });

  it("refuses YAML values JSON cannot hold, naming path, line and column", async () => {
    const result = await runCli(["validate", fixture("bad-values.yaml")]);
    expect(result.code).toBe(1);
    expect(lines(result.stderr)).toEqual([
      "canary.percentage: expected a finite number, got .inf (line 2, column 15)",
      "canary.overrideGroups[1]: expected a JSON scalar, got a value tagged !!binary (line 3, column 38)",
    ]);
  });

  it("refuses a YAML file holding more than one document", async () => {
    const result = await runCli(["validate", fixture("two-documents.yaml")]);
    expect(result.code).toBe(1);
    expect(lines(result.stderr)).toEqual(["$: expected one YAML document, got 2"]);
  });

  it("refuses an empty YAML file and a JSON document that is not an object", async () => {
    expect(lines((await runCli(["validate", "-"], { stdin: "# nothing\n" })).stderr)).toEqual(["$: expected object, got nothing (the YAML file is empty)"]);
    const notObject = await runCli(["validate", "-"], { stdin: '["auth"]' });
    expect(notObject.code).toBe(1);
    expect(lines(notObject.stderr)).toEqual(['$: expected object, got array of 1 item']);
  });

  it("reads the policy from standard input with -, JSON or YAML", async () => {
    expect(await runCli(["validate", "-"], { stdin: '{"rateLimit":{"rate":5}}' })).toEqual({ code: 0, stdout: "ok\n", stderr: "" });
    expect(await runCli(["validate", "-"], { stdin: "rateLimit:\n  rate: 5\n" })).toEqual({ code: 0, stdout: "ok\n", stderr: "" });
  });

  it("warns when a client-chosen header: limit key has no pre-auth IP limit, and not once it has one", async () => {
    const auth = { service: { url: "http://auth:9000/introspect" } };
    const bare = await runCli(["validate", "-"], { stdin: JSON.stringify({ auth, rateLimit: { key: "header:x-api-key", rate: 5 } }) });
    expect(bare.code).toBe(0);
    expect(bare.stdout).toBe("ok\n");
    expect(lines(bare.stderr)).toEqual([
      'meshgate: warning: rateLimit.key "header:x-api-key" is chosen by the client: a new value per request is a new bucket, so it ' +
      "does not protect the auth service from a flood of bad tokens; add rateLimit.preAuthIp (a limit by client IP before the token is read)",
    ]);
    const paired = await runCli(["validate", "-"], {
      stdin: JSON.stringify({ auth, rateLimit: { key: "header:x-api-key", rate: 5, preAuthIp: { rate: 20, periodSeconds: 60 } } }),
    });
    expect(paired).toEqual({ code: 0, stdout: "ok\n", stderr: "" });
    const subject = await runCli(["validate", "-"], { stdin: JSON.stringify({ auth, rateLimit: { key: "subject", rate: 5 } }) });
    expect(subject).toEqual({ code: 0, stdout: "ok\n", stderr: "" });
  });

  it("warns (exit 0) about a policy that enforces nothing; --strict makes it an error (exit 1, no ok)", async () => {
    for (const stdin of ["{}", '{"auth":{"enabled":false},"log":{"decisions":"all"}}']) {
      const result = await runCli(["validate", "-"], { stdin });
      expect(result).toEqual({
        code: 0, stdout: "ok\n", stderr: "meshgate: warning: the policy enforces nothing: auth, canary and rateLimit are all left out or switched off\n",
      });
      const strict = await runCli(["validate", "--strict", "-"], { stdin });
      expect(strict).toEqual({
        code: 1, stdout: "", stderr: "meshgate: error (--strict): the policy enforces nothing: auth, canary and rateLimit are all left out or switched off\n",
      });
    }
    expect(await runCli(["validate", "--strict", "-"], { stdin: '{"rateLimit":{"rate":5}}' })).toEqual({ code: 0, stdout: "ok\n", stderr: "" });
  });

  it("warns about loopback and placeholder addresses in what render would emit", async () => {
    const policy = {
      auth: { service: { url: "http://localhost:9000/introspect" } },
      canary: { percentage: 5, kong: { target: "canary.example.com:8080" } },
      rateLimit: { rate: 5, policy: "redis", redis: { host: "127.0.0.1" } },
    };
    const result = await runCli(["validate", "-"], { stdin: JSON.stringify(policy) });
    expect(result.code).toBe(0);
    expect(lines(result.stderr)).toEqual([
      'meshgate: warning: auth.service.url "http://localhost:9000/introspect" is a loopback address: each Kong node would call itself, not the auth service',
      'meshgate: warning: rateLimit.redis.host "127.0.0.1" is a loopback address: each Kong node would count in a Redis of its own, so the limit is per node',
      'meshgate: warning: canary.kong.target "canary.example.com:8080" is a placeholder name (reserved for examples, it resolves nowhere): put the real address',
    ]);
    const real = { ...policy, auth: { service: { url: "http://auth.auth-system.svc:8080/i" } }, canary: { percentage: 5 }, rateLimit: { rate: 5 } };
    expect(await runCli(["validate", "-"], { stdin: JSON.stringify(real) })).toEqual({ code: 0, stdout: "ok\n", stderr: "" });
  });

  it("--strict makes the header: key warning an error too", async () => {
    const stdin = JSON.stringify({ auth: { service: { url: "http://auth:9000/introspect" } }, rateLimit: { key: "header:x-api-key", rate: 5 } });
    const result = await runCli(["validate", "--strict", "-"], { stdin });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^meshgate: error \(--strict\): rateLimit\.key "header:x-api-key" is chosen by the client/);
  });

  it("keeps YAML keys such as __proto__ as ordinary (unknown) fields", async () => {
    const result = await runCli(["validate", "-"], { stdin: "auth:\n  __proto__: {enabled: false}\n  service: {url: 'http://a:1/x'}\n" });
    expect(result.code).toBe(1);
    expect(lines(result.stderr)).toEqual([expect.stringMatching(/^auth\.__proto__: unknown field \(known: enabled, mode, /)]);
  });

  it("refuses hostile YAML (deep nesting, alias expansion) with an error instead of crashing or hanging", async () => {
    const deep = await runCli(["validate", "-"], { stdin: `canary: ${"[".repeat(200)}${"]".repeat(200)}\n` });
    expect(deep.code).toBe(1);
    expect(deep.stderr).toMatch(/expected at most 64 levels of nesting/);
    const bomb = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
    for (let i = 1; i < 8; i++) bomb.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill(`*${String.fromCharCode(96 + i)}`).join(", ")}]`);
    const expanded = await runCli(["validate", "-"], { stdin: `${bomb.join("\n")}\n` });
    expect(expanded.code).toBe(1);
    expect(expanded.stderr).toMatch(/expected at most 20000 values/);
  });

  it("exits 2 for a missing file, a directory, a file too large and bytes that are not UTF-8", async () => {
    const dir = testTempDir("meshgate-cli-");
    writeFileSync(join(dir, "huge.json"), `{"auth":{"realm":"${"x".repeat(1024 * 1024)}"}}`);
    writeFileSync(join(dir, "latin1.yaml"), Buffer.from([0x72, 0x3a, 0x20, 0xe9, 0x0a]));
    for (const [path, message] of [
      [fixture("missing.json"), "no such file"],
      [dir, "is a directory"],
      [join(dir, "huge.json"), "larger than 1048576 bytes"],
      [join(dir, "latin1.yaml"), "not UTF-8 text"],
    ]) {
      const result = await runCli(["validate", path]);
      expect(result.code, path).toBe(2);
      expect(result.stderr).toContain(message);
      expect(result.stdout).toBe("");
    }
  });

  it("exits 2 on usage errors: no command, no file, two files, unknown command or option", async () => {
    for (const args of [["validate"], ["validate", "a.json", "b.json"], ["lint", "a.json"], ["validate", "--strict", "a.json"], ["validate", "-x", "a.json"], ["render", "nginx", "a.json"]]) {
      const result = await runCli(args);
      expect(result.code, args.join(" ")).toBe(2);
      expect(result.stderr).toMatch(/^meshgate: /);
    }
  });

  it("prints usage for --help and the package version for --version", async () => {
    const help = await runCli(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("meshgate render istio <policy>");
    const version = await runCli(["--version"]);
    expect(version.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  });
});

describe("meshgate normalize", () => {
  it("gives the same effective policy for the same policy written in JSON and in YAML", async () => {
    const fromYaml = await runCli(["normalize", fixture("full.yaml")]);
    const fromJson = await runCli(["normalize", fixture("full.json")]);
    expect(fromYaml.code).toBe(0);
    expect(fromJson.stdout).toBe(fromYaml.stdout);
    const effective = JSON.parse(fromYaml.stdout) as Record<string, Record<string, unknown>>;
    expect(effective.canary.percentage).toBe(12.5);
    expect(effective.rateLimit.rate).toBe(20);
  });

  it("fills every default in", async () => {
    const result = await runCli(["normalize", "-", "--format", "yaml"], { stdin: "rateLimit: {rate: 5}\n" });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^auth:\n {2}enabled: false\n/);
    expect(result.stdout).toContain("periodSeconds: 1");
  });
});
