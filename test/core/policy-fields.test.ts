// The field table (shared/src/policy-fields.ts) against the parser that enforces it: every row's fields, range,
// choices, default and "required" must be what policy-parse.ts does, so a change to one without the other fails
// here. (test/scripts/gen-fields.test.ts keeps the files written from the table in step with it.)
import { describe, expect, it } from "vitest";
import { POLICY_FIELDS, childFields, fieldName } from "../../shared/src/policy-fields";
import type { PolicyField } from "../../shared/src/policy-fields";
import { parsePolicy } from "../../shared/src/policy-parse";
import { policyToJson } from "../../shared/src/policy-json";
import { stringifyJson } from "../../shared/src/json";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/** A valid document with every section enabled; rows are tried one at a time on a copy of it. */
const BASE: JsonObject = { auth: { service: { url: "http://auth.example:8080/i" } }, canary: {}, rateLimit: { rate: 10 }, log: {} };
/** What a parent needs to be valid by itself when a row puts it in the document. */
const PARENTS: Record<string, JsonObject> = {
  "auth.bodyRule": { pointer: "/ok", equals: true },
  "rateLimit.preAuthIp": { rate: 5 },
  "auth.tokenSources[]": { type: "header" },
  "auth.headerMappings[]": { from: "claim", to: "x-claim" },
  "rateLimit.limits[]": { rate: 5 },
  "routes[]": { name: "r", match: {} },
  "routes[].match.headers[]": { name: "x-a" },
  "auth.jwt": { jwks: { url: "http://auth.example:8080/jwks" }, issuers: ["https://auth.example"] },
};

function errorsOf(document: JsonObject): string[] {
  return parsePolicy(JSON.stringify(document)).errors;
}

function effective(document: JsonObject): unknown {
  const result = parsePolicy(JSON.stringify(document));
  expect(result.errors).toEqual([]);
  return JSON.parse(stringifyJson(policyToJson(result.policy!)));
}

/** BASE with `value` at the row's path (an array row gets a one-item array); the error path of that value. */
function place(field: PolicyField, value: Json | undefined): { document: JsonObject; at: string } {
  const document = structuredClone(BASE);
  const segments = field.path.split(".");
  let current: JsonObject = document;
  let at = "";
  let prefix = "";
  for (let i = 0; i < segments.length - 1; i++) {
    const segment = segments[i].replace("[]", "");
    prefix = prefix ? `${prefix}.${segments[i]}` : segments[i];
    at = at ? `${at}.${segment}` : segment;
    if (segments[i].endsWith("[]")) {
      const item: JsonObject = structuredClone(PARENTS[prefix] ?? {});
      if (prefix === "auth.tokenSources[]" && field.variant) item.type = field.variant.split(" ")[0];
      current[segment] = [item];
      current = item;
      at += "[0]";
    } else {
      if (typeof current[segment] !== "object" || current[segment] === null) current[segment] = structuredClone(PARENTS[prefix] ?? {});
      current = current[segment] as JsonObject;
    }
  }
  // `auth.jwt` is jwt mode's, and refused in the others.
  if (field.path.startsWith("auth.jwt")) (document.auth as JsonObject).mode = "jwt";
  // `limits` replaces the one window: BASE's `rate` would make every row under it "given both".
  if (field.path.startsWith("rateLimit.limits")) delete (document.rateLimit as JsonObject).rate;
  const last = segments[segments.length - 1];
  // A map's value row (`auth.claimHeaders.*`) goes under a member named `claim`.
  const name = last === "*" ? "claim" : last.replace("[]", "");
  at = at ? `${at}.${name}` : name;
  if (last.endsWith("[]")) {
    if (value !== undefined) current[name] = [value];
    at += "[0]";
  } else if (value === undefined) delete current[name];
  else current[name] = value;
  return { document, at };
}

const named = POLICY_FIELDS.filter((field) => !field.path.endsWith("[]"));
const rowOf = (path: string): PolicyField => POLICY_FIELDS.find((field) => field.path === path)!;

describe("the field table agrees with the parser", () => {
  it("names at every level exactly the fields the parser knows, in its order", () => {
    const levels = ["", ...POLICY_FIELDS.filter((field) => field.type === "object").map((field) => field.path)];
    for (const level of levels) {
      const row = level === "" ? undefined : rowOf(level);
      const probe = level === "" ? { document: { zzzz: 1 } as JsonObject, at: "zzzz" } : row!.sameAs ? placeIn(row!, { zzzz: 1 }) : placeUnknown(level);
      // A route's section goes through the section's own parser, so its unknown-field error lists the section's
      // fields; `except` members are refused separately ("set in the top-level section only").
      const known = childFields(row?.sameAs ?? level).map(fieldName);
      expect(errorsOf(probe.document), level || "$").toContain(`${probe.at}: unknown field (known: ${known.join(", ")})`);
    }
  });

  it.each(named.filter((field) => field.default !== undefined).map((field) => [field.path, field] as const))(
    "%s: writing the default means the same as leaving the field out",
    (_path, field) => {
      const written = place(field, field.default as Json);
      const left = place(field, undefined);
      expect(effective(written.document)).toEqual(effective(left.document));
    },
  );

  it.each(POLICY_FIELDS.filter((field) => field.range).map((field) => [field.path, field] as const))(
    "%s: the range's ends are valid, one past them is refused with the row's phrase",
    (_path, field) => {
      const [low, high] = field.range!;
      const step = field.type === "integer" ? 1 : 0.5;
      for (const valid of [low, high, ...(field.alsoAllowed ?? [])]) expect(errorsOf(place(field, valid).document), `${valid}`).toEqual([]);
      const below = place(field, low - step);
      if (!(field.alsoAllowed ?? []).includes(low - step)) expect(errorsOf(below.document)).toContain(`${below.at}: expected ${field.phrase}, got ${low - step}`);
      const above = place(field, high + step);
      expect(errorsOf(above.document)).toContain(`${above.at}: expected ${field.phraseAbove ?? field.phrase}, got ${high + step}`);
      if (field.type === "integer") {
        const fraction = place(field, low + 0.5);
        expect(errorsOf(fraction.document)).toContain(`${fraction.at}: expected ${field.phrase}, got ${low + 0.5}`);
      }
    },
  );

  it("failure.status: only 401 and 500..599 (a 4xx other than 401 would blame the client for the auth service)", () => {
    const status = POLICY_FIELDS.find((field) => field.path === "auth.failure.status")!;
    for (const refused of [400, 402, 429, 499]) expect(errorsOf(place(status, refused).document)).toHaveLength(1);
  });

  it.each(POLICY_FIELDS.filter((field) => field.choices).map((field) => [field.path, field] as const))(
    "%s: every choice is valid, anything else is refused with the row's phrase",
    (_path, field) => {
      for (const choice of field.choices!) {
        const { document } = place(field, choice);
        expect(errorsOf(document).filter((error) => !error.includes("nothing")), choice).toEqual([]);
      }
      const wrong = place(field, "Nope");
      expect(errorsOf(wrong.document)).toContain(`${wrong.at}: expected ${field.phrase}, got "Nope"`);
    },
  );

  it.each(POLICY_FIELDS.filter((field) => field.type === "boolean").map((field) => [field.path, field] as const))(
    "%s: a boolean, nothing else",
    (_path, field) => {
      const wrong = place(field, "true");
      expect(errorsOf(wrong.document)).toContain(`${wrong.at}: expected boolean, got "true"`);
    },
  );

  it.each(named.filter((field) => field.required === "always" && field.variant !== "header").map((field) => [field.path, field] as const))(
    "%s: required, missing is refused with the row's phrase",
    (_path, field) => {
      const missing = place(field, undefined);
      expect(errorsOf(missing.document)).toContain(`${missing.at}: expected ${field.phrase}, got nothing`);
    },
  );

  it.each(named.filter((field) => field.required === "whenEnabled").map((field) => [field.path, field] as const))(
    "%s: required while its section is enabled, not once it is switched off",
    (_path, field) => {
      const missing = place(field, undefined);
      expect(errorsOf(missing.document).some((error) => error.startsWith(`${missing.at}: expected `) && error.endsWith(", got nothing"))).toBe(true);
      const section = field.path.split(".")[0];
      (missing.document[section] as JsonObject).enabled = false;
      expect(errorsOf(missing.document)).toEqual([]);
    },
  );

  it.each(POLICY_FIELDS.filter((field) => field.type === "string" && field.default !== undefined && !field.path.includes("[]")).map((field) => [field.path, field] as const))(
    "%s: the default passes the row's own length and pattern (what editors check through the JSON Schema)",
    (_path, field) => {
      const value = field.default as string;
      if (field.length) expect(value.length).toBeGreaterThanOrEqual(field.length[0]);
      if (field.length) expect(value.length).toBeLessThanOrEqual(field.length[1]);
      if (field.pattern) expect(value).toMatch(new RegExp(field.pattern));
    },
  );

  it.each(POLICY_FIELDS.filter((field) => field.type === "string" && field.length && !field.choices).map((field) => [field.path, field] as const))(
    "%s: one character past the row's length is refused",
    (_path, field) => {
      const tooLong = place(field, "a".repeat(field.length![1] + 1));
      expect(errorsOf(tooLong.document).some((error) => error.startsWith(`${tooLong.at}: expected ${field.phrase}, got `))).toBe(true);
    },
  );

  it.each(POLICY_FIELDS.filter((field) => field.inherits).map((field) => [field.path, field] as const))(
    "%s: left out, it takes the value of the row it inherits; written, its own",
    (_path, field) => {
      expect(rowOf(field.inherits!).type).toBe("boolean"); // the only kind inherited so far
      const [section, member] = field.inherits!.split(".") as [string, string];
      for (const inherited of [true, false]) {
        const left = place(field, undefined).document;
        (left[section] as JsonObject)[member] = inherited;
        expect(valueAt(effective(left), field.path), `left out, inherited ${inherited}`).toBe(inherited);
        const written = place(field, !inherited).document;
        (written[section] as JsonObject)[member] = inherited;
        expect(valueAt(effective(written), field.path), `written ${!inherited}`).toBe(!inherited);
      }
    },
  );

  it("gives every named field a description, and every row a known plane", () => {
    for (const field of named) expect(field.description.length, field.path).toBeGreaterThan(0);
    for (const field of POLICY_FIELDS) expect(["both", "kong", "envoy"]).toContain(field.planes);
  });
});

/** The value at a row's path in a JSON document (`[]`: the first item). */
function valueAt(document: unknown, path: string): unknown {
  return path.split(".").reduce<unknown>((node, part) => {
    const child = (node as JsonObject)[part.replace("[]", "")];
    return part.endsWith("[]") ? (child as unknown[])[0] : child;
  }, document);
}

/** `value` as the row's whole value, with the error path of a member `zzzz` inside it. */
function placeIn(field: PolicyField, value: JsonObject): { document: JsonObject; at: string } {
  const { document, at } = place(field, value);
  return { document, at: `${at}.zzzz` };
}

function placeUnknown(level: string): { document: JsonObject; at: string } {
  const child = childFields(level)[0];
  const { document, at } = place(child, child.default as Json ?? sampleValue(child));
  const parentAt = at.slice(0, at.lastIndexOf("."));
  let current: Json = document;
  for (const part of parentAt.split(/\.|\[|\]/).filter(Boolean)) current = Array.isArray(current) ? current[Number(part)] : (current as JsonObject)[part];
  (current as JsonObject).zzzz = 1;
  return { document, at: `${parentAt}.zzzz` };
}

function sampleValue(field: PolicyField): Json {
  if (field.choices) return field.choices[0];
  if (field.range) return field.range[0];
  if (field.type === "object") return structuredClone(PARENTS[field.path] ?? {});
  if (field.type === "boolean") return true;
  if (field.path === "auth.service.url") return "http://auth.example:8080/i";
  return "x";
}
