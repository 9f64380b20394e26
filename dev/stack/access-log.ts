// The stack's request log: each gateway prints `access METHOD PATH STATUS UPSTREAM MSms` (its --access-log
// flag); the stack turns the upstream into the variant and prints `METHOD PATH STATUS PLANE VARIANT MS`.

export type PlaneName = "kong" | "envoy";

export interface AccessLine {
  method: string;
  path: string;
  status: number;
  plane: PlaneName;
  /** `stable`, `canary`, `local` (answered by the gateway itself) or the raw upstream label. */
  variant: string;
  ms: number;
}

const GATEWAY_ACCESS_LINE = /^access (\S+) (\S+) (\d+) (\S+) (\d+(?:\.\d+)?)ms$/;

/** Maps a gateway's upstream label (Kong: origin or Upstream name; Envoy: cluster) to a variant name. */
export type VariantOf = (upstream: string) => string;

export function parseAccessLine(line: string, plane: PlaneName, variantOf: VariantOf): AccessLine | null {
  const match = GATEWAY_ACCESS_LINE.exec(line);
  if (!match) return null;
  const [, method, path, status, upstream, ms] = match;
  return {
    method: method!,
    path: path!,
    status: Number(status),
    plane,
    variant: upstream === "-" ? "local" : variantOf(upstream!),
    ms: Number(ms),
  };
}

export function formatAccessLine(a: AccessLine): string {
  return `${a.method} ${a.path} ${a.status} ${a.plane} ${a.variant} ${a.ms.toFixed(1)}ms`;
}
