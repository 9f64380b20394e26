import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { AUTH_CALL_DURATION_MS, CACHE_ENTRIES, counterNames } from "../../shared/src/metrics";

interface Target { expr: string }
interface Panel { title: string; datasource: { uid: string }; targets: Target[] }
const dashboard = JSON.parse(readFileSync(new URL("../../dashboards/meshgate.json", import.meta.url), "utf8")) as {
  panels: Panel[]; templating: { list: { name: string; type: string }[] };
};

describe("the Grafana dashboard", () => {
  const emitted = new Set([...counterNames(), CACHE_ENTRIES, `${AUTH_CALL_DURATION_MS}_bucket`, `${AUTH_CALL_DURATION_MS}_sum`, `${AUTH_CALL_DURATION_MS}_count`]);

  it("queries only metrics meshgate emits", () => {
    const queried = new Set<string>();
    for (const panel of dashboard.panels) {
      for (const target of panel.targets) for (const name of target.expr.match(/meshgate_[a-z0-9_]+/g) ?? []) queried.add(name);
    }
    expect(queried.size).toBeGreaterThan(10);
    expect([...queried].filter((name) => !emitted.has(name))).toEqual([]);
  });

  it("shows every counter meshgate defines", () => {
    const text = JSON.stringify(dashboard.panels);
    expect(counterNames().filter((name) => !text.includes(name))).toEqual([]);
  });

  it("takes the data source as a variable", () => {
    expect(dashboard.templating.list.some((v) => v.name === "datasource" && v.type === "datasource")).toBe(true);
    for (const panel of dashboard.panels) expect(panel.datasource.uid).toBe("${datasource}");
  });

  it("never groups or filters by a high-cardinality label", () => {
    const text = JSON.stringify(dashboard.panels);
    for (const label of ["subject", "token", "path", "ip", "client"]) expect(text).not.toMatch(new RegExp(`\\b(by|without) \\([^)]*\\b${label}\\b`));
  });
});
