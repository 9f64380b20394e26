import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { collectDefaultMetrics, Registry } from "prom-client";
import { AUTH_CALL_DURATION_MS, CACHE_ENTRIES, DECISIONS_TOTAL, SHADOW_DECISIONS_TOTAL, counterNames } from "../../shared/src/metrics";
import { BREAKER_REJECTED_TOTAL, BREAKER_TRANSITION_COUNTERS, BREAKERS_OPEN, INTERNAL_ERRORS_TOTAL } from "../../kong-plugins/src/metrics";

/** The plugin server's process metrics, as its endpoint registers them (metrics-endpoint.ts). */
async function pluginServerMetricNames(): Promise<string[]> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "meshgate_pluginserver_" });
  const names: string[] = [];
  for (const metric of await registry.getMetricsAsJSON()) {
    names.push(metric.name);
    if (String(metric.type) === "histogram") names.push(`${metric.name}_bucket`, `${metric.name}_sum`, `${metric.name}_count`);
  }
  return names;
}

const KONG_ONLY = [INTERNAL_ERRORS_TOTAL, ...Object.values(BREAKER_TRANSITION_COUNTERS), BREAKER_REJECTED_TOTAL, BREAKERS_OPEN];

interface Target { expr: string }
interface Panel { title: string; datasource: { uid: string }; targets: Target[] }
const dashboard = JSON.parse(readFileSync(new URL("../../dashboards/meshgate.json", import.meta.url), "utf8")) as {
  panels: Panel[]; templating: { list: { name: string; type: string }[] };
};

describe("the Grafana dashboard", () => {
  const emitted = new Set([...counterNames(), CACHE_ENTRIES, `${AUTH_CALL_DURATION_MS}_bucket`, `${AUTH_CALL_DURATION_MS}_sum`, `${AUTH_CALL_DURATION_MS}_count`,
    DECISIONS_TOTAL, SHADOW_DECISIONS_TOTAL, ...KONG_ONLY]);

  it("queries only metrics meshgate emits", async () => {
    for (const name of await pluginServerMetricNames()) emitted.add(name);
    const queried = new Set<string>();
    for (const panel of dashboard.panels) {
      for (const target of panel.targets) for (const name of target.expr.match(/meshgate_[a-z0-9_]+/g) ?? []) queried.add(name);
    }
    expect(queried.size).toBeGreaterThan(10);
    expect([...queried].filter((name) => !emitted.has(name))).toEqual([]);
  });

  it("shows every counter meshgate defines, the labeled ones and the Kong-only ones included", () => {
    const text = JSON.stringify(dashboard.panels);
    expect([...counterNames(), DECISIONS_TOTAL, SHADOW_DECISIONS_TOTAL, ...KONG_ONLY].filter((name) => !text.includes(name))).toEqual([]);
  });

  it("has panels for shadow decisions and for the plugin server's health", () => {
    const titles = dashboard.panels.map((p) => p.title);
    expect(titles).toEqual(expect.arrayContaining(["Shadow decisions by section and outcome", "Kong: plugin-server health"]));
    const health = dashboard.panels.find((p) => p.title === "Kong: plugin-server health")!;
    expect(health.targets.map((t) => t.expr).join("\n")).toMatch(/\bup\{/);
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
