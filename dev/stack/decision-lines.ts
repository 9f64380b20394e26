// Decision-log lines in the gateways' output, shown by the stack in one form for both planes. Kong writes them on
// the plugin server's stdout, which Kong logs at INFO (`[kong-host] [info] [meshgate:<pid>] {…}`); Envoy through
// proxy_log (`[envoy-host] [worker 0] [info] wasm log: {…}`). The line is the core's JSON either way
// (shared/src/decision-log.ts), so the stack prints just that: `decision {…}`.
import type { PlaneName } from "./access-log.js";

/** The decision-log JSON inside a gateway output line, or null when the line is something else. */
export function decisionJson(line: string, plane: PlaneName): string | null {
  const start = line.indexOf('{"time":');
  if (start < 0) return null;
  const json = line.slice(start);
  try {
    const parsed: unknown = JSON.parse(json);
    const record = parsed as Record<string, unknown>;
    if (typeof parsed !== "object" || parsed === null || record["plane"] !== plane || typeof record["section"] !== "string") return null;
  } catch {
    return null;
  }
  return json;
}

export function formatDecisionLine(json: string): string {
  return `decision ${json}`;
}
