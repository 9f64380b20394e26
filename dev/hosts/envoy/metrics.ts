// Envoy stats for wasm custom metrics: every worker VM defines its own ids, but ids with the same
// name map to one stat (`wasmcustom.<name>`). Prometheus output follows Envoy PR #17357: the
// `wasmcustom` namespace is stripped, no `envoy_` prefix is added, characters outside
// [a-zA-Z0-9_] become `_`, and names that would start with a digit are left out.
//
// Proxy-wasm has no labels: Envoy extracts them from stat names with the bootstrap's `stats_config.stats_tags`
// (envoy/config/metrics/v3/stats.proto, TagSpecifier: the first capture group is removed from the name, the
// second is the value). The host takes tag names and applies Istio's form of that rule, `(<tag>=\.=(.*?);\.;)`
// (istio/istio tools/packaging/common/envoy_bootstrap.json), which is what istio-manifests/ configures for
// meshgate's tags. Without them a tagged name comes out sanitised, as from an Envoy without the rules.

export type MetricKind = "counter" | "gauge" | "histogram";

/** Envoy's default histogram bucket bounds (source/common/stats/histogram_impl.h). */
export const DEFAULT_HISTOGRAM_BUCKETS = [
  0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000,
] as const;

export class Stat {
  value = 0;
  readonly bucketCounts: number[] = DEFAULT_HISTOGRAM_BUCKETS.map(() => 0);
  sampleCount = 0;
  sampleSum = 0;
  constructor(readonly kind: MetricKind, readonly name: string) {}

  record(v: number): void {
    this.sampleCount++;
    this.sampleSum += v;
    DEFAULT_HISTOGRAM_BUCKETS.forEach((bound, i) => {
      if (v <= bound) this.bucketCounts[i] = (this.bucketCounts[i] ?? 0) + 1;
    });
  }
}

export const CUSTOM_STAT_NAMESPACE = "wasmcustom";

export function prometheusName(name: string): string | null {
  const sanitized = name.replace(/[^a-zA-Z0-9_]/g, "_");
  if (sanitized === "" || /^[0-9]/.test(sanitized)) return null;
  return sanitized;
}

/** A stat name split by the tag rules: the name left over and the extracted labels, in rule order. */
export interface TaggedName {
  name: string;
  labels: Array<[string, string]>;
}

export function extractTags(name: string, tags: readonly string[]): TaggedName {
  let rest = name;
  const labels: Array<[string, string]> = [];
  for (const tag of tags) {
    const rule = new RegExp(`(${tag.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}=\\.=(.*?);\\.;)`);
    const match = rule.exec(rest);
    if (!match) continue;
    rest = rest.slice(0, match.index) + rest.slice(match.index + (match[1] ?? "").length);
    labels.push([tag, match[2] ?? ""]);
  }
  return { name: rest, labels };
}

function labelText(labels: Array<[string, string]>): string {
  return labels.map(([k, v]) => `${k}="${v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`).join(",");
}

export class MetricStore {
  private readonly stats = new Map<string, Stat>();
  /** Tag names extracted from stat names (see above); empty = none. */
  constructor(private readonly statsTags: readonly string[] = []) {}

  define(kind: MetricKind, name: string): Stat {
    const key = `${kind}\u0000${name}`;
    let stat = this.stats.get(key);
    if (!stat) { stat = new Stat(kind, name); this.stats.set(key, stat); }
    return stat;
  }

  /** Counter or gauge value by metric name (as the filter defined it); histogram → sample count. */
  value(name: string): number | undefined {
    for (const kind of ["counter", "gauge", "histogram"] as const) {
      const stat = this.stats.get(`${kind}\u0000${name}`);
      if (stat) return kind === "histogram" ? stat.sampleCount : stat.value;
    }
    return undefined;
  }

  prometheusText(): string {
    const lines: string[] = [];
    for (const kind of ["counter", "gauge", "histogram"] as const) {
      const ofKind = [...this.stats.values()]
        .filter((s) => s.kind === kind)
        .map((s) => {
          const tagged = extractTags(s.name, this.statsTags);
          return { stat: s, prom: prometheusName(tagged.name), labels: labelText(tagged.labels) };
        })
        .filter((x): x is { stat: Stat; prom: string; labels: string } => x.prom !== null)
        .sort((a, b) => a.prom.localeCompare(b.prom) || a.labels.localeCompare(b.labels));
      let typed = "";
      for (const { stat, prom, labels } of ofKind) {
        if (prom !== typed) lines.push(`# TYPE ${prom} ${kind}`);
        typed = prom;
        if (kind !== "histogram") {
          lines.push(`${prom}{${labels}} ${stat.value}`);
          continue;
        }
        DEFAULT_HISTOGRAM_BUCKETS.forEach((bound, i) => {
          lines.push(`${prom}_bucket{le="${bound}"} ${stat.bucketCounts[i] ?? 0}`);
        });
        lines.push(`${prom}_bucket{le="+Inf"} ${stat.sampleCount}`);
        lines.push(`${prom}_sum{} ${stat.sampleSum}`);
        lines.push(`${prom}_count{} ${stat.sampleCount}`);
      }
    }
    return lines.length ? `${lines.join("\n")}\n` : "";
  }
}
