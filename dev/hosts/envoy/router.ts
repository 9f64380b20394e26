// A route table in the shape of an Istio VirtualService http[] list: the first rule whose header
// matches all hold wins; a rule without `match` matches everything.

import type { HeaderMap } from "./header-map.js";

export interface RouteRule {
  name?: string;
  match?: { headers?: Record<string, { exact: string }> };
  cluster: string;
}

export interface RouteResult {
  name: string;
  cluster: string;
}

export class RouteTable {
  constructor(private readonly rules: readonly RouteRule[]) {
    rules.forEach((rule, i) => {
      if (typeof rule.cluster !== "string" || rule.cluster === "") {
        throw new Error(`routes[${i}].cluster must be a non-empty string`);
      }
      for (const [header, m] of Object.entries(rule.match?.headers ?? {})) {
        if (typeof m?.exact !== "string") throw new Error(`routes[${i}].match.headers.${header}.exact must be a string`);
      }
    });
  }

  resolve(headers: HeaderMap): RouteResult | null {
    for (let i = 0; i < this.rules.length; i++) {
      const rule = this.rules[i];
      if (!rule) continue;
      const conditions = Object.entries(rule.match?.headers ?? {});
      if (conditions.every(([name, m]) => headers.get(name) === m.exact)) {
        return { name: rule.name ?? `route-${i}`, cluster: rule.cluster };
      }
    }
    return null;
  }
}
