// fast-check arbitraries per decision kind: both builds must return identical outputs for every
// generated input. One entry per kind; modules add theirs below.
import fc from "fast-check";

const anyText = fc.string({ unit: "binary", maxLength: 200 });

export const generators = {
  "json.parse": fc.oneof(
    fc.json({ maxDepth: 4 }).map((text) => ({ text })),
    anyText.map((text) => ({ text })),
  ),
  "utf8.decode": fc.uint8Array({ maxLength: 64 }).map((b) => ({ bytes: Array.from(b) })),
  "utf8.encode": anyText.map((text) => ({ text })),
  sha256: fc.uint8Array({ maxLength: 300 }).map((b) => ({ bytes: Array.from(b) })),
  fnv1a32: anyText.map((text) => ({ text })),
};
