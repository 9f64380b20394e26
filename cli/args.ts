// Command-line parsing: `meshgate <command> …` into a typed command, or a usage error (exit 2).
import type { OutputFormat } from "./output";
import { KONG_DEFAULTS } from "./render-kong";
import type { KongDocumentChoice, KongRenderOptions } from "./render-kong";
import type { IstioDocumentChoice, IstioMode, IstioRenderOptions } from "./render-istio";

export type Command =
  | { kind: "help" }
  | { kind: "version" }
  | { kind: "validate"; policy: string; strict: boolean }
  | { kind: "normalize"; policy: string; format: OutputFormat; strict: boolean }
  | { kind: "render-kong"; policy: string; format: OutputFormat; strict: boolean; given: ReadonlySet<string>; options: KongRenderOptions }
  | {
    kind: "render-istio"; policy: string; format: OutputFormat; strict: boolean; given: ReadonlySet<string>;
    options: Omit<IstioRenderOptions, "url"> & { url: string | null };
  };

export type ParsedArgs = { command: Command; error?: undefined } | { command?: undefined; error: string };

/** `flag`: takes no value (`--strict`). */
interface OptionSpec { repeatable?: boolean; flag?: boolean; check: (value: string) => string | null }

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/;

const oneOf = (...values: string[]) => (value: string): string | null => (values.includes(value) ? null : `expected one of ${values.join(", ")}`);
const dnsLabel = (value: string): string | null => (DNS_LABEL.test(value) ? null : "expected a DNS label (lowercase letters, digits and '-', at most 63)");

const OPTIONS: Record<string, OptionSpec> = {
  format: { check: oneOf("yaml", "json") },
  "service-url": { check: (v) => (/^https?:\/\/[^\s/?#@]+(\/[^\s#]*)?$/i.test(v) ? null : "expected an http(s) URL such as http://stable.default.svc:8080") },
  name: { check: dnsLabel },
  "canary-target": { check: (v) => (/^[A-Za-z0-9._-]{1,253}:([1-9][0-9]{0,4})$/.test(v) && Number(v.split(":")[1]) <= 65535 ? null : "expected host:port") },
  namespace: { check: dnsLabel },
  selector: {
    repeatable: true,
    check: (v) => {
      const at = v.indexOf("=");
      return at > 0 && LABEL_KEY.test(v.slice(0, at)) && LABEL_VALUE.test(v.slice(at + 1)) ? null : "expected key=value (a Kubernetes label)";
    },
  },
  url: { check: (v) => (/^oci:\/\/[^\s]+$/.test(v) || /^file:\/\/\/[^\s]+$/.test(v) ? null : "expected oci://REGISTRY/IMAGE:TAG or file:///ABSOLUTE/PATH.wasm") },
  sha256: { check: (v) => (/^[0-9a-f]{64}$/.test(v) ? null : "expected 64 lowercase hex digits") },
  mode: { check: oneOf("gateway", "sidecar-outbound", "sidecar-inbound") },
  port: { check: (v) => (/^[1-9][0-9]{0,4}$/.test(v) && Number(v) <= 65535 ? null : "expected a port number 1..65535") },
  only: { check: () => null },
  strict: { flag: true, check: () => null },
};

const COMMAND_OPTIONS: Record<string, string[]> = {
  validate: ["strict"],
  normalize: ["format", "strict"],
  "render-kong": ["format", "service-url", "name", "canary-target", "only", "strict"],
  "render-istio": ["format", "name", "namespace", "selector", "url", "sha256", "mode", "port", "only", "strict"],
};

const ONLY: Record<string, string[]> = { "render-kong": ["deck", "kic"], "render-istio": ["wasmplugin", "envoyfilter"] };

export function parseArgs(argv: string[]): ParsedArgs {
  if (argv.length === 0 || argv.includes("--help") || argv.includes("-h") || argv[0] === "help") return { command: { kind: "help" } };
  if (argv[0] === "--version" || argv[0] === "version") return { command: { kind: "version" } };
  const [first, ...rest] = argv;
  let name = first;
  let tail = rest;
  if (first === "render") {
    const plane = rest[0];
    if (plane !== "kong" && plane !== "istio") return { error: "render: expected `render kong <policy>` or `render istio <policy>`" };
    name = `render-${plane}`;
    tail = rest.slice(1);
  }
  const allowed = COMMAND_OPTIONS[name];
  if (!allowed) return { error: `unknown command '${first}' (expected validate, normalize, render kong, render istio)` };
  const split = splitOptions(tail, allowed, name);
  if ("error" in split) return { error: split.error };
  const { positionals, options } = split;
  const label = name.replace("-", " ");
  if (positionals.length !== 1) return { error: `${label}: expected one policy file (or - for standard input), got ${positionals.length}` };
  const policy = positionals[0];
  const last = (key: string): string | undefined => options.get(key)?.at(-1);
  const only = last("only");
  if (only !== undefined && !(ONLY[name] ?? []).includes(only)) {
    return { error: `${label}: --only: expected one of ${(ONLY[name] ?? []).join(", ")}` };
  }
  const format = (last("format") ?? (name === "normalize" ? "json" : "yaml")) as OutputFormat;
  const strict = options.has("strict");
  const given: ReadonlySet<string> = new Set(options.keys());
  switch (name) {
    case "validate": return { command: { kind: "validate", policy, strict } };
    case "normalize": return { command: { kind: "normalize", policy, format, strict } };
    case "render-kong":
      return {
        command: {
          kind: "render-kong", policy, format, strict, given,
          options: {
            serviceUrl: last("service-url") ?? KONG_DEFAULTS.serviceUrl,
            name: last("name") ?? KONG_DEFAULTS.name,
            canaryTarget: last("canary-target") ?? KONG_DEFAULTS.canaryTarget,
            only: (only ?? "all") as KongDocumentChoice,
          },
        },
      };
    default: {
      const selectors = options.get("selector");
      const selector = selectors ? Object.fromEntries(selectors.map((s) => [s.slice(0, s.indexOf("=")), s.slice(s.indexOf("=") + 1)])) : null;
      return {
        command: {
          kind: "render-istio", policy, format, strict, given,
          options: {
            name: last("name") ?? "meshgate",
            namespace: last("namespace") ?? "",
            selector,
            url: last("url") ?? null,
            sha256: last("sha256") ?? "",
            mode: (last("mode") ?? "gateway") as IstioMode,
            port: last("port") === undefined ? null : Number(last("port")),
            only: (only ?? "all") as IstioDocumentChoice,
          },
        },
      };
    }
  }
}

function splitOptions(args: string[], allowed: string[], command: string): { positionals: string[]; options: Map<string, string[]> } | { error: string } {
  const positionals: string[] = [];
  const options = new Map<string, string[]>();
  const label = command.replace("-", " ");
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") { positionals.push(...args.slice(i + 1)); break; }
    if (!arg.startsWith("-") || arg === "-") { positionals.push(arg); continue; }
    if (!arg.startsWith("--")) return { error: `${label}: unknown option ${arg}` };
    const equals = arg.indexOf("=");
    const key = arg.slice(2, equals < 0 ? undefined : equals);
    if (!allowed.includes(key)) return { error: `${label}: unknown option --${key}` };
    const spec = OPTIONS[key];
    if (spec.flag) {
      if (equals >= 0) return { error: `${label}: --${key} takes no value` };
      options.set(key, [""]);
      continue;
    }
    let value: string;
    if (equals >= 0) value = arg.slice(equals + 1);
    else {
      if (i + 1 >= args.length) return { error: `${label}: --${key} needs a value` };
      value = args[++i];
    }
    const problem = spec.check(value);
    if (problem) return { error: `${label}: --${key} ${JSON.stringify(value)}: ${problem}` };
    const values = options.get(key) ?? [];
    if (values.length > 0 && !spec.repeatable) return { error: `${label}: --${key} given twice` };
    options.set(key, [...values, value]);
  }
  return { positionals, options };
}
