import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { KeyDigest } from "../../shared/src/cache-key";
import { NodeKeyDigest } from "../../kong-plugins/src/node-digest";

describe("the Kong plane's native cache-key digest", () => {
  it("equals the portable SHA-256 on any string, lone surrogates included", () => {
    const portable = new KeyDigest();
    const native = new NodeKeyDigest();
    fc.assert(fc.property(fc.string({ unit: "binary", maxLength: 2000 }), (text) => {
      expect(native.hex(text)).toBe(portable.hex(text));
    }), { numRuns: 300, seed: 7 });
  });
});
