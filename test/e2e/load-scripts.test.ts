// k6 itself cannot be installed here, so the scenarios are checked through the k6 stand-in (k6-stub.ts): they
// compile on the oldest supported k6, import only k6's own modules, every one has thresholds written in k6's grammar
// on metrics that exist, every scenario runs an exported function, and the setup/teardown/summary hooks the README
// promises do what it says. The stand-in's faithfulness is tested in k6-stub.test.ts; the scenarios run against
// the live stack in k6-stack.test.ts.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { oldK6SyntaxProblems } from "./k6-syntax.js";
import { BUILTIN_METRICS, importSpecifiers, K6_MODULES, loadScript, THRESHOLD_EXPRESSION } from "./k6-stub.js";

const dir = join(import.meta.dirname, "../../load-tests");
const SCENARIOS = ["smoke.js", "auth-cache.js", "canary.js", "rate-limit.js", "auth-outage.js", "mixed.js"];

describe("load-tests/*.js", () => {
  it("has exactly the six scenarios of the plan", () => {
    const scripts = readdirSync(dir).filter((f) => f.endsWith(".js")).sort();
    expect(scripts).toEqual([...SCENARIOS].sort());
  });

  describe.each(SCENARIOS)("%s", (file) => {
    const path = join(dir, file);

    it("compiles on k6 v0.48 (ECMAScript 2017 through Babel 6: no object spread, optional chaining, ??, class fields…)", () => {
      expect(oldK6SyntaxProblems(readFileSync(path, "utf8"))).toEqual([]);
    });

    it("imports nothing but k6's own modules", () => {
      const specifiers = importSpecifiers(path);
      expect(specifiers.length).toBeGreaterThan(0);
      for (const specifier of specifiers) expect(K6_MODULES, `import '${specifier}'`).toContain(specifier);
    });

    it("declares thresholds in k6's grammar on built-in or declared metrics", () => {
      const script = loadScript(path);
      const options = script.exports["options"] as { thresholds?: Record<string, unknown> } | undefined;
      const thresholds = options?.thresholds ?? {};
      expect(Object.keys(thresholds).length).toBeGreaterThan(0);
      for (const [metric, list] of Object.entries(thresholds)) {
        const name = metric.replace(/\{.*\}$/, "");
        expect([...BUILTIN_METRICS, ...script.customMetrics], `threshold on '${metric}'`).toContain(name);
        expect(Array.isArray(list) && list.length > 0, `thresholds of ${metric}`).toBe(true);
        for (const entry of list as unknown[]) {
          const expression = typeof entry === "string" ? entry : (entry as { threshold?: unknown }).threshold;
          expect(String(expression), `${metric}: ${String(expression)}`).toMatch(THRESHOLD_EXPRESSION);
        }
      }
    });

    it("targets BASE_URL (default the Kong-plane gateway) and AUTH_URL (default the auth service)", () => {
      const defaults = loadScript(path);
      const calls = (s: typeof defaults): string[] => s.httpCalls.map((c) => c.url);
      const setup = defaults.exports["setup"];
      if (typeof setup === "function") setup();
      expect(calls(defaults).every((url) => url.startsWith("http://127.0.0.1:8000") || url.startsWith("http://127.0.0.1:9000"))).toBe(true);
      const moved = loadScript(path, { BASE_URL: "http://gw.test", AUTH_URL: "http://auth.test" });
      const movedSetup = moved.exports["setup"];
      if (typeof movedSetup === "function") movedSetup();
      expect(calls(moved).some((url) => url.includes("127.0.0.1"))).toBe(false);
    });

    it("runs an exported function for every scenario", () => {
      const script = loadScript(path);
      const options = script.exports["options"] as { scenarios?: Record<string, { exec?: string }> };
      const scenarios = Object.values(options.scenarios ?? { default: {} });
      for (const scenario of scenarios) expect(typeof script.exports[scenario.exec ?? "default"]).toBe("function");
    });
  });

  it("auth-cache: setup resets the auth service counters and teardown reads /stats", () => {
    const script = loadScript(join(dir, "auth-cache.js"), { TOKENS: "3" });
    const data = (script.exports["setup"] as () => unknown)();
    expect(script.httpCalls[0]).toEqual({ method: "POST", url: "http://127.0.0.1:9000/stats/reset" });
    expect(script.httpCalls.filter((c) => c.url === "http://127.0.0.1:9000/token")).toHaveLength(3);
    (script.exports["teardown"] as (d: unknown) => void)(data);
    expect(script.httpCalls.at(-1)).toEqual({ method: "GET", url: "http://127.0.0.1:9000/stats" });
  });

  it("auth-outage: flips the fault through POST /faults and clears it in teardown", () => {
    const script = loadScript(join(dir, "auth-outage.js"));
    (script.exports["flip"] as () => void)();
    expect(script.httpCalls.at(-1)).toEqual({ method: "POST", url: "http://127.0.0.1:9000/faults" });
    (script.exports["teardown"] as () => void)();
    expect(script.httpCalls.at(-1)).toEqual({ method: "DELETE", url: "http://127.0.0.1:9000/faults" });
  });

  it("canary: holds the non-tester share to ±1 point of the policy percentage", () => {
    const options = loadScript(join(dir, "canary.js"), { PERCENTAGE: "10" }).exports["options"] as { thresholds: Record<string, string[]> };
    expect(options.thresholds["user_on_canary"]).toEqual(["rate>=0.09", "rate<=0.11"]);
  });

  it("rate-limit: holds the allowed share to ±5 % of rate / arrival rate", () => {
    const options = loadScript(join(dir, "rate-limit.js"), { OVERLOAD: "2" }).exports["options"] as { thresholds: Record<string, string[]> };
    const bounds = options.thresholds["allowed_share"]!.map((t) => Number(t.replace(/^rate[<>]=/, "")));
    expect(bounds[0]).toBeCloseTo(0.475, 6);
    expect(bounds[1]).toBeCloseTo(0.525, 6);
  });

  it("mixed: handleSummary writes the summary as JSON and as text, and prints the text", () => {
    const script = loadScript(join(dir, "mixed.js"), { SUMMARY_PREFIX: "out/mixed" });
    const data = {
      metrics: {
        http_req_duration: { type: "trend", contains: "time", values: { "p(95)": 12.5, "p(99)": 40 }, thresholds: { "p(95)<50": { ok: true } } },
        answered_as_expected: { type: "rate", contains: "default", values: { rate: 0.98 }, thresholds: { "rate>0.99": { ok: false } } },
      },
    };
    const outputs = (script.exports["handleSummary"] as (d: unknown) => Record<string, string>)(data);
    expect(Object.keys(outputs).sort()).toEqual(["out/mixed.json", "out/mixed.txt", "stdout"]);
    expect(JSON.parse(outputs["out/mixed.json"]!)).toEqual(data);
    expect(outputs["stdout"]).toBe(outputs["out/mixed.txt"]);
    expect(outputs["stdout"]).toContain("FAIL answered_as_expected rate>0.99");
    expect(outputs["stdout"]).toContain("ok   http_req_duration p(95)<50");
    expect(outputs["stdout"]).toContain("1 threshold(s) FAILED");
  });
});
