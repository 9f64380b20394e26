// k6's metrics and thresholds for the stand-in: samples with tags, and `metric{tag:value}: ["agg op number"]`
// evaluated the way k6 does (metrics/thresholds_parser.go; the trend percentiles interpolate between the two
// nearest ranks, as k6's TrendSink.P does).
export type MetricType = "counter" | "gauge" | "rate" | "trend";

export interface Sample {
  value: number;
  tags: Record<string, string>;
}

/** k6's grammar: `aggregation operator number` (metrics/thresholds_parser.go). */
export const THRESHOLD_EXPRESSION = /^(avg|min|max|med|count|rate|value|p\(\d+(\.\d+)?\))\s*(<|<=|>|>=|==|===|!=)\s*-?\d+(\.\d+)?$/;

export class MetricStore {
  private readonly types = new Map<string, MetricType>([
    ["checks", "rate"], ["http_req_failed", "rate"], ["http_req_duration", "trend"], ["http_reqs", "counter"], ["iterations", "counter"],
  ]);
  private readonly samples = new Map<string, Sample[]>();

  declare(name: string, type: MetricType): void {
    const known = this.types.get(name);
    if (known !== undefined && known !== type) throw new Error(`k6 stand-in: metric ${name} is a ${known}, not a ${type}`);
    this.types.set(name, type);
  }

  add(name: string, value: number, tags: Record<string, string> = {}): void {
    const list = this.samples.get(name) ?? [];
    list.push({ value, tags });
    this.samples.set(name, list);
  }

  values(name: string, tags: Record<string, string> = {}): number[] {
    return (this.samples.get(name) ?? []).filter((s) => Object.entries(tags).every(([k, v]) => s.tags[k] === v)).map((s) => s.value);
  }

  /** Every threshold of `options.thresholds`, evaluated; `noData` when the (sub-)metric got no sample. */
  evaluate(thresholds: Record<string, unknown>): ThresholdResult[] {
    const results: ThresholdResult[] = [];
    for (const [key, list] of Object.entries(thresholds)) {
      const match = /^([^{]+)(?:\{(.*)\})?$/.exec(key);
      if (!match) throw new Error(`k6 stand-in: threshold key ${key}`);
      const name = match[1]!;
      const tags = Object.fromEntries((match[2] ?? "").split(",").filter((t) => t !== "").map((t) => {
        const at = t.indexOf(":");
        return [t.slice(0, at).trim(), t.slice(at + 1).trim()];
      }));
      const type = this.types.get(name);
      if (type === undefined) throw new Error(`k6 stand-in: threshold on ${name}, which is no metric`);
      const values = this.values(name, tags);
      for (const entry of list as unknown[]) {
        const expression = typeof entry === "string" ? entry : String((entry as { threshold?: unknown }).threshold);
        const parsed = /^(.+?)\s*(<=|>=|===|==|!=|<|>)\s*(-?\d+(?:\.\d+)?)$/.exec(expression);
        if (!parsed || !THRESHOLD_EXPRESSION.test(expression)) throw new Error(`k6 stand-in: threshold ${key}: ${expression}`);
        const actual = aggregate(type, parsed[1]!, values);
        results.push({ metric: key, expression, actual, noData: values.length === 0, ok: compare(actual, parsed[2]!, Number(parsed[3])) });
      }
    }
    return results;
  }
}

export interface ThresholdResult {
  metric: string;
  expression: string;
  actual: number;
  noData: boolean;
  ok: boolean;
}

function percentile(sorted: number[], pct: number): number {
  if (sorted.length === 0) return 0;
  const i = pct * (sorted.length - 1);
  const low = sorted[Math.floor(i)]!;
  const high = sorted[Math.ceil(i)]!;
  return low + (high - low) * (i - Math.floor(i));
}

function aggregate(type: MetricType, aggregation: string, values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const sum = values.reduce((a, b) => a + b, 0);
  const wanted: Record<MetricType, string[]> = { counter: ["count"], gauge: ["value", "min", "max"], rate: ["rate"], trend: ["avg", "min", "max", "med", "p"] };
  const kind = aggregation.startsWith("p(") ? "p" : aggregation;
  if (!wanted[type].includes(kind)) throw new Error(`k6 stand-in: ${aggregation} does not apply to a ${type}`);
  switch (kind) {
    case "count": return sum;
    case "rate": return values.length === 0 ? 0 : values.filter((v) => v !== 0).length / values.length;
    case "value": return values.at(-1) ?? 0;
    case "min": return sorted[0] ?? 0;
    case "max": return sorted.at(-1) ?? 0;
    case "avg": return values.length === 0 ? 0 : sum / values.length;
    case "med": return percentile(sorted, 0.5);
    default: return percentile(sorted, Number(aggregation.slice(2, -1)) / 100);
  }
}

function compare(actual: number, operator: string, expected: number): boolean {
  switch (operator) {
    case "<": return actual < expected;
    case "<=": return actual <= expected;
    case ">": return actual > expected;
    case ">=": return actual >= expected;
    case "==": case "===": return actual === expected;
    default: return actual !== expected;
  }
}
