// The stack's policy: one YAML (or JSON) document, with the plane addresses rewritten to where the stack's
// auth service and upstreams actually listen. The gateways validate the rest with the core's own parser.
import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { StackConfigError } from "./ports.js";

export type PolicyDocument = Record<string, unknown>;

export interface BackendUrls {
  /** Origin of the auth service, e.g. `http://127.0.0.1:9000`. */
  auth: string;
  stable: string;
  canary: string;
}

export interface KongPlaneSetup {
  config: PolicyDocument;
  serviceUrl: string;
  /** Kong Upstream entities, when the policy routes the canary by upstream name. */
  upstreams: Record<string, string[]>;
}

export interface EnvoyPlaneSetup {
  pluginConfig: string;
  clusters: Record<string, string>;
  /** `--route` specs of the Envoy host: the canary tag first, then everything to stable. */
  routes: string[];
}

export interface PlaneSetups {
  policy: PolicyDocument;
  kong: KongPlaneSetup;
  envoy: EnvoyPlaneSetup;
}

const DEFAULT_AUTH_CLUSTER = "auth-service";
const DEFAULT_AUTH_AUTHORITY = "auth.local";
/** Where the reference auth service publishes its keys. */
const DEFAULT_JWKS_PATH = "/.well-known/jwks.json";

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Reads a policy file (YAML or JSON); throws StackConfigError naming the file and the problem. */
export function loadPolicyFile(path: string): PolicyDocument {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new StackConfigError(`cannot read the policy file ${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
  return parsePolicyText(text, path);
}

export function parsePolicyText(text: string, source: string): PolicyDocument {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new StackConfigError(`${source}: not valid YAML: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!isObject(doc)) throw new StackConfigError(`${source}: the policy must be a mapping with auth / canary / rateLimit sections`);
  return doc;
}

function rewriteOrigin(url: unknown, origin: string, fallbackPath: string): string {
  if (typeof url === "string") {
    try {
      const parsed = new URL(url);
      return `${origin}${parsed.pathname}${parsed.search}`;
    } catch {
      // not a URL: the default path below, the gateways would reject it anyway
    }
  }
  return `${origin}${fallbackPath}`;
}

function hostPort(url: string): string {
  return new URL(url).host;
}

/** The stack's backends listen on loopback; `localhost` names the same address for the Kong dev host. */
function serviceByHostname(url: string): string {
  const parsed = new URL(url);
  if (parsed.hostname === "127.0.0.1") parsed.hostname = "localhost";
  return parsed.origin;
}

/** jwt mode: the key set is the stack's auth service's, reached like the auth service on each plane. */
function wireJwks(jwt: Record<string, unknown>, authOrigin: string, authCluster: string): void {
  const jwks = isObject(jwt["jwks"]) ? jwt["jwks"] : {};
  const url = rewriteOrigin(jwks["url"], authOrigin, DEFAULT_JWKS_PATH);
  jwks["url"] = url;
  if (typeof jwks["cluster"] !== "string" || jwks["cluster"] === "") jwks["cluster"] = authCluster;
  if (typeof jwks["authority"] !== "string" || jwks["authority"] === "") jwks["authority"] = DEFAULT_AUTH_AUTHORITY;
  if (typeof jwks["path"] !== "string" || jwks["path"] === "") jwks["path"] = new URL(url).pathname;
  jwt["jwks"] = jwks;
}

/** The policy each plane gets, and how each gateway must be wired to the backends. */
export function planeSetups(source: PolicyDocument, backends: BackendUrls): PlaneSetups {
  const policy = structuredClone(source);
  const upstreams: Record<string, string[]> = {};
  let authCluster = DEFAULT_AUTH_CLUSTER;

  if (isObject(policy["auth"])) {
    const auth = policy["auth"];
    const service = isObject(auth["service"]) ? auth["service"] : {};
    const defaultPath = typeof service["path"] === "string" && service["path"].startsWith("/")
      ? service["path"]
      : auth["mode"] === "forward" ? "/verify" : "/introspect";
    const url = rewriteOrigin(service["url"], backends.auth, defaultPath);
    service["url"] = url;
    if (typeof service["cluster"] !== "string" || service["cluster"] === "") service["cluster"] = DEFAULT_AUTH_CLUSTER;
    if (typeof service["authority"] !== "string" || service["authority"] === "") service["authority"] = DEFAULT_AUTH_AUTHORITY;
    if (typeof service["path"] !== "string" || service["path"] === "") service["path"] = new URL(url).pathname;
    authCluster = String(service["cluster"]);
    auth["service"] = service;
    if (isObject(auth["jwt"])) wireJwks(auth["jwt"], backends.auth, authCluster);
  }

  const routes: string[] = [];
  let kongServiceUrl = backends.stable;
  if (isObject(policy["canary"])) {
    const canary = policy["canary"];
    const kong = isObject(canary["kong"]) ? canary["kong"] : {};
    if (typeof kong["upstream"] === "string" && kong["upstream"] !== "") {
      upstreams[kong["upstream"]] = [hostPort(backends.canary)];
      // Kong routes set_upstream only from a Service named by hostname: an IP Service keeps its IP balancer (500).
      kongServiceUrl = serviceByHostname(backends.stable);
    } else kong["target"] = hostPort(backends.canary);
    canary["kong"] = kong;
    const tagHeader = typeof canary["tagHeader"] === "string" ? canary["tagHeader"] : "x-canary";
    if (canary["enabled"] !== false && tagHeader !== "") routes.push(`${tagHeader.toLowerCase()}:true=canary`);
  }
  routes.push("*=stable");

  return {
    policy,
    kong: { config: policy, serviceUrl: kongServiceUrl, upstreams },
    envoy: {
      pluginConfig: JSON.stringify(policy),
      clusters: { [authCluster]: backends.auth, stable: backends.stable, canary: backends.canary },
      routes,
    },
  };
}
