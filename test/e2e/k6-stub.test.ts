// The k6 stand-in is only worth its tests if it behaves like k6 where the scripts can go wrong: the syntax the
// oldest supported k6 compiles, and init code evaluated once per VU plus once for setup.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { K6Script } from "./k6-stub.js";
import { assertOldK6Syntax, oldK6SyntaxProblems } from "./k6-syntax.js";

const loadTests = join(import.meta.dirname, "../../load-tests");

describe("k6 v0.48 syntax check", () => {
  it("refuses mixed.js as it was before the fix (object spread: k6 v0.48 said `SyntaxError … Unexpected token`)", () => {
    const fixed = "{ headers: Object.assign({ authorization: `Bearer ${token}` }, extra), tags: { kind } }";
    const source = readFileSync(join(loadTests, "mixed.js"), "utf8");
    expect(source).toContain(fixed);
    const asItWas = source.replace(fixed, "{ headers: { authorization: `Bearer ${token}`, ...extra }, tags: { kind } }");
    const line = asItWas.split("\n").findIndex((l) => l.includes("...extra")) + 1;
    expect(oldK6SyntaxProblems(asItWas)).toEqual([{ line, column: expect.any(Number), what: expect.stringMatching(/^object spread/) }]);
    expect(() => assertOldK6Syntax(asItWas, "mixed.js")).toThrow(new RegExp(`mixed\\.js:${line}:\\d+ object spread`));
  });

  it.each([
    ["object spread", "const a = {}; export const b = { ...a };"],
    ["object rest", "const { x, ...rest } = { x: 1, y: 2 }; export default rest;"],
    ["optional chaining", "const a = {}; export default a?.b;"],
    ["nullish coalescing", "export default __ENV.X ?? 'y';"],
    ["logical assignment", "let a = 0; a ||= 1; export default a;"],
    ["class fields", "export class A { x = 1; }"],
    ["class fields", "export class A { #x; get() { return this.#x; } }"],
    ["`catch` without a binding", "try { JSON.parse('x'); } catch { /* ignored */ }"],
    ["dynamic `import()`", "export default function () { return import('k6'); }"],
    ["`import.meta`", "export default import.meta;"],
    ["BigInt literal", "export default 10n;"],
    ["`for await`", "export default async function () { for await (const x of []) { void x; } }"],
    ["async generator", "export async function* g() { yield 1; }"],
    ["async function passed to group() or check()", "import { group } from 'k6'; export default function () { group('g', async () => {}); }"],
    ["async function passed to group() or check()", "import { check } from 'k6'; export default function () { check(1, { ok: async (v) => v === 1 }); }"],
  ])("names %s", (what, source) => {
    const problems = oldK6SyntaxProblems(source);
    expect(problems.map((p) => p.what.split(" (")[0]!.replace(/ `.*$/, ""))).toContain(what.replace(/ `.*$/, ""));
  });

  it.each([
    ["numeric separator", "export default 1_000;"],
    ["regex dotAll flag", "export default /a.b/s;"],
    ["regex named group", "export default /(?<year>\\d{4})/;"],
    ["top-level await", "await Promise.resolve(); export default 1;"],
  ])("refuses anything else after ECMAScript 2017 (%s)", (_, source) => {
    expect(oldK6SyntaxProblems(source)).toEqual([expect.objectContaining({ what: expect.stringMatching(/^syntax newer than ECMAScript 2017/) })]);
  });

  it("accepts what k6 v0.48 compiles: ES2017 modules, async/await, generators, new.target, destructuring, array spread, **", () => {
    const source = [
      "import http from 'k6/http';",
      "import { check, group } from 'k6';",
      "const [a, ...rest] = [1, 2, 3];",
      "const { b = 2 } = {};",
      "export const options = { vus: Math.max(a, ...rest) ** 2, b };",
      "export default async function () { await Promise.resolve(`${http}`); }",
      "export class C { static m() { return 1; } constructor() { this.t = new.target; } }",
      "export function* gen() { yield 1; }",
      "export function teardown() { check(1, { ok: (v) => v === 1 }); group('g', () => {}); }",
    ].join("\n");
    expect(oldK6SyntaxProblems(source)).toEqual([]);
  });
});

/** A script that reports, through its HTTP calls, what each of its module instances saw. */
const PROBE = `
import http from 'k6/http';
import exec from 'k6/execution';
const initVu = __VU;
const initAt = Date.now();
let calls = 0;
export const options = { scenarios: {
  each: { executor: 'per-vu-iterations', vus: 2, iterations: 2 },
  shared: { executor: 'shared-iterations', exec: 'shared', vus: 3, iterations: 4 },
} };
function report(kind, extra) {
  calls += 1;
  http.get('http://probe.test/' + kind + '?' + ['vu=' + __VU, 'initVu=' + initVu, 'initAt=' + initAt, 'calls=' + calls, 'env=' + __ENV.WHO].concat(extra || []).join('&'));
}
export function setup() { report('setup'); return { from: 'setup', initAt }; }
export default function (data) {
  data.from = 'changed by VU ' + __VU;
  report('default', ['iter=' + __ITER, 'inTest=' + exec.scenario.iterationInTest, 'setupInitAt=' + data.initAt]);
}
export function shared() { report('shared', ['iter=' + __ITER, 'inTest=' + exec.scenario.iterationInTest, 'scenario=' + exec.scenario.name]); }
export function teardown(data) { report('teardown', ['from=' + data.from]); }
`;

describe("k6 stand-in run", () => {
  const script = new K6Script("probe.js", { env: { WHO: "tester" } }, PROBE);
  const result = script.run();
  const calls = script.httpCalls.map((c) => {
    const url = new URL(c.url);
    return { kind: url.pathname.slice(1), ...Object.fromEntries(url.searchParams) } as Record<string, string>;
  });
  const of = (kind: string) => calls.filter((c) => c["kind"] === kind);

  it("runs setup and teardown in the setup instance (__VU 0), with its own module state", () => {
    expect(of("setup")).toEqual([expect.objectContaining({ vu: "0", initVu: "0", calls: "1", env: "tester" })]);
    expect(of("teardown")).toEqual([expect.objectContaining({ vu: "0", initVu: "0", calls: "2" })]);
    expect(result.iterationErrors).toEqual([]);
  });

  it("evaluates init code afresh in every VU (__VU 1..N across scenarios), so module state is per VU", () => {
    const perVu = new Map<string, string[]>();
    for (const c of [...of("default"), ...of("shared")]) perVu.set(c["vu"]!, [...(perVu.get(c["vu"]!) ?? []), c["calls"]!]);
    expect([...perVu.keys()].sort()).toEqual(["1", "2", "3", "4", "5"]);
    for (const c of [...of("default"), ...of("shared")]) expect(c["initVu"]).toBe(c["vu"]);
    expect(perVu.get("1")).toEqual(["1", "2"]);
    expect(perVu.get("3")).toEqual(["1", "2"]);
  });

  it("lets time pass between instances: a Date.now() in init code differs between setup and every VU", () => {
    const initTimes = new Set([...of("setup"), ...of("default"), ...of("shared")].map((c) => c["initAt"]));
    expect(initTimes.size).toBe(1 + 5);
    for (const c of of("default")) expect(c["setupInitAt"]).toBe(of("setup")[0]!["initAt"]);
  });

  it("counts __ITER per VU and iterationInTest per scenario; shared-iterations spreads iterations over its VUs", () => {
    expect(of("default").map((c) => [c["vu"], c["iter"], c["inTest"]])).toEqual([["1", "0", "0"], ["1", "1", "1"], ["2", "0", "2"], ["2", "1", "3"]]);
    expect(of("shared").map((c) => [c["vu"], c["iter"], c["inTest"], c["scenario"]])).toEqual([
      ["3", "0", "0", "shared"], ["4", "0", "1", "shared"], ["5", "0", "2", "shared"], ["3", "1", "3", "shared"],
    ]);
  });

  it("hands each iteration a JSON copy of setup's data: a VU changing it changes nothing for teardown", () => {
    expect(of("teardown")[0]!["from"]).toBe("setup");
  });

  it("evaluates check() predicates and counts passes and fails", () => {
    const checker = new K6Script("checks.js", {}, [
      "import { check } from 'k6';",
      "export default function () { check(2, { 'is two': (v) => v === 2, 'is three': (v) => v === 3 }); }",
    ].join("\n"));
    checker.run();
    expect(Object.fromEntries(checker.checks)).toEqual({ "is two": { passes: 1, fails: 0 }, "is three": { passes: 0, fails: 1 } });
  });

  it("evaluates thresholds as k6 does: rates, counts, trend percentiles, tagged sub-metrics, expected statuses", () => {
    const statuses = [200, 200, 429, 200, 503];
    const answers: Array<{ status: number; durationMs: number }> = statuses.map((status, i) => ({ status, durationMs: 10 * (i + 1) }));
    const script = new K6Script("thresholds.js", {
      http: { batch: (requests) => requests.map(() => ({ ...answers.shift()!, headers: {}, body: "", error: null })) },
    }, [
      "import http from 'k6/http';",
      "import { Counter, Rate } from 'k6/metrics';",
      "const limited = new Counter('limited');",
      "const ok = new Rate('ok');",
      "http.setResponseCallback(http.expectedStatuses(200, 429));",
      "export const options = { iterations: 5, thresholds: {",
      "  ok: ['rate>=0.6', 'rate>0.6'], limited: ['count==1'], http_req_failed: ['rate<0.21', 'rate<0.2'],",
      "  'http_req_duration{kind:a}': ['p(50)==20', 'max<=30', 'avg<20'], 'http_req_duration{kind:none}': ['max<1'],",
      "} };",
      "export default function () {",
      "  const res = http.get('http://x.test/', { tags: { kind: __ITER < 3 ? 'a' : 'b' } });",
      "  ok.add(res.status === 200);",
      "  if (res.status === 429) limited.add(1);",
      "}",
    ].join("\n"));
    const result = script.run();
    expect(result.thresholds.map((t) => [t.metric, t.expression, t.ok, t.noData])).toEqual([
      ["ok", "rate>=0.6", true, false],
      ["ok", "rate>0.6", false, false],
      ["limited", "count==1", true, false],
      ["http_req_failed", "rate<0.21", true, false],
      ["http_req_failed", "rate<0.2", false, false],
      ["http_req_duration{kind:a}", "p(50)==20", true, false],
      ["http_req_duration{kind:a}", "max<=30", true, false],
      ["http_req_duration{kind:a}", "avg<20", false, false],
      ["http_req_duration{kind:none}", "max<1", true, true],
    ]);
  });

  it("runs a scenario of any executor in a dry run: the given iterations on at most 2 VUs, and only then", () => {
    const source = [
      "import http from 'k6/http';",
      "export const options = { scenarios: { steady: { executor: 'constant-arrival-rate', rate: 200, timeUnit: '1s', duration: '30s', preAllocatedVUs: 10 } } };",
      "export default function () { http.get('http://x.test/?vu=' + __VU + '&iter=' + __ITER); }",
    ].join("\n");
    expect(() => new K6Script("steady.js", {}, source).run()).toThrow(/runs per-vu-iterations and shared-iterations, not constant-arrival-rate/);
    const dry = new K6Script("steady.js", { dryRunIterations: 3 }, source);
    dry.run();
    expect(dry.httpCalls.map((c) => c.url)).toEqual(["http://x.test/?vu=1&iter=0", "http://x.test/?vu=2&iter=0", "http://x.test/?vu=1&iter=1"]);
  });

  it("refuses a script old k6 cannot compile before running anything", () => {
    expect(() => new K6Script("spread.js", {}, "export default function () { return { ...{} }; }")).toThrow(/object spread/);
  });
});
