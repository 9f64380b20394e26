// What the conformance vectors cannot see: the Policy fields the planes actually read (the vectors only see
// the JSON rendering of them), and that the examples in the policy reference stay valid.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parsePolicy } from "../../shared/src/policy-parse";
import { identityHeaderNames } from "../../shared/src/identity-headers";
import { Policy } from "../../shared/src/policy";

const readme = readFileSync(fileURLToPath(new URL("../../shared/README.md", import.meta.url)), "utf8");

function jsonBlocks(markdown: string): string[] {
  const blocks: string[] = [];
  const pattern = /```json\n([\s\S]*?)```/g;
  for (let match = pattern.exec(markdown); match; match = pattern.exec(markdown)) {
    const body = match[1];
    if (body !== undefined) blocks.push(body);
  }
  return blocks;
}

function mustParse(text: string): Policy {
  const result = parsePolicy(text);
  expect(result.errors).toEqual([]);
  if (result.policy === null) throw new Error("no policy");
  return result.policy;
}

describe("policy reference examples", () => {
  const blocks = jsonBlocks(readme).filter((block) => !block.includes("..."));

  it("has the full example and the legacy example", () => {
    expect(blocks.length).toBeGreaterThanOrEqual(2);
  });

  it("every complete JSON example in shared/README.md is a valid policy", () => {
    for (const block of blocks) expect(parsePolicy(block).errors).toEqual([]);
  });

  it("the full example strips the identity headers it sets, including the mapped tenant header", () => {
    const full = blocks.find((block) => block.includes("\"rateLimit\""));
    if (full === undefined) throw new Error("full example missing");
    expect(identityHeaderNames(mustParse(full))).toEqual(["x-auth-subject", "x-auth-groups", "x-auth-tenant", "x-auth-degraded"]);
  });
});

describe("parsed policy fields", () => {
  it("stores the canary share in basis points and the Kong target as host and port", () => {
    const policy = mustParse('{"canary":{"percentage":12.34,"kong":{"target":"canary.shop.svc:8080"}}}');
    expect(policy.canary.basisPoints).toBe(1234);
    expect(policy.canary.kong.host).toBe("canary.shop.svc");
    expect(policy.canary.kong.port).toBe(8080);
    expect(policy.canary.kong.upstream).toBe("");
  });

  it("keeps a 0.07 percentage exact despite binary floating point (7 basis points)", () => {
    expect(mustParse('{"canary":{"percentage":0.07}}').canary.basisPoints).toBe(7);
  });

  it("stores the body rule's expected value as canonical JSON text", () => {
    const cases: Array<[string, string]> = [["true", "true"], ["1.0", "1"], ["\"ok\"", "\"ok\""], ["null", "null"]];
    for (const [literal, canonical] of cases) {
      const policy = mustParse('{"auth":{"service":{"url":"http://a/"},"bodyRule":{"pointer":"/v","equals":' + literal + "}}}");
      expect(policy.auth.bodyRule?.equals).toBe(canonical);
    }
  });

  it("turns a header rate-limit key into a lowercase header name", () => {
    const policy = mustParse('{"rateLimit":{"rate":5,"key":"header:X-Api-Key"}}');
    expect(policy.rateLimit.keyHeader).toBe("x-api-key");
    expect(policy.rateLimit.enabled).toBe(true);
  });

  it("gives cookie and query sources an empty scheme (the whole value is the token)", () => {
    const policy = mustParse('{"auth":{"service":{"url":"http://a/"},"tokenSources":[{"type":"cookie","name":"s"},{"type":"query","name":"t"}]}}');
    expect(policy.auth.tokenSources.map((source) => source.scheme)).toEqual(["", ""]);
    expect(policy.auth.tokenSources.map((source) => source.name)).toEqual(["s", "t"]);
  });

  it("leaves absent sections disabled", () => {
    const policy = mustParse("{}");
    expect([policy.auth.enabled, policy.canary.enabled, policy.rateLimit.enabled]).toEqual([false, false, false]);
  });
});
