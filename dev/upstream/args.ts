import { type UpstreamVariant, UPSTREAM_VARIANTS, isUpstreamVariant } from "./echo-upstream.js";

export interface UpstreamSettings {
  variant: UpstreamVariant;
  port: number;
  host: string;
}

export type ParsedArgs = { ok: true; value: UpstreamSettings } | { ok: false; error: string };

/** Default ports of the local stack: stable 9101, canary 9102. */
export const DEFAULT_PORTS: Record<UpstreamVariant, number> = { stable: 9101, canary: 9102 };

/** Flags `--variant`, `--port`, `--host` (also `--flag=value`) over UPSTREAM_VARIANT / UPSTREAM_PORT / UPSTREAM_HOST. */
export function parseUpstreamArgs(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): ParsedArgs {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const match = /^--(variant|port|host)(?:=(.*))?$/.exec(arg);
    if (match === null) return { ok: false, error: `unknown argument '${arg}'` };
    const value = match[2] ?? argv[++i];
    if (value === undefined) return { ok: false, error: `--${match[1]} needs a value` };
    flags.set(match[1]!, value);
  }

  const variant = flags.get("variant") ?? nonEmpty(env.UPSTREAM_VARIANT) ?? "stable";
  if (!isUpstreamVariant(variant)) return { ok: false, error: `variant must be one of ${UPSTREAM_VARIANTS.join(", ")}, got '${variant}'` };

  const rawPort = flags.get("port") ?? nonEmpty(env.UPSTREAM_PORT);
  let port = DEFAULT_PORTS[variant];
  if (rawPort !== undefined) {
    if (!/^\d+$/.test(rawPort) || Number(rawPort) > 65535) return { ok: false, error: `port must be a number from 0 to 65535, got '${rawPort}'` };
    port = Number(rawPort);
  }

  const host = flags.get("host") ?? nonEmpty(env.UPSTREAM_HOST) ?? "127.0.0.1";
  return { ok: true, value: { variant, port, host } };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}
