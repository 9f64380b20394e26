// Hosts that work on a laptop and nowhere else: loopback (each Kong node or proxy would call itself) and the names
// reserved for documentation and tests (RFC 2606, RFC 6761), which never resolve to a real service.
import { isIP } from "node:net";

export type AddressConcern = "loopback" | "placeholder";

const RESERVED_SUFFIXES = [".example", ".invalid", ".test", ".localhost"];
const EXAMPLE_DOMAINS = ["example.com", "example.net", "example.org"];

export function addressConcern(host: string): AddressConcern | null {
  const name = host.replace(/^\[|\]$/g, "").replace(/\.$/, "").toLowerCase();
  if (name === "localhost" || name.endsWith(".localhost")) return "loopback";
  const family = isIP(name);
  if (family === 4) return name.startsWith("127.") || name === "0.0.0.0" ? "loopback" : null;
  if (family === 6) return name === "::1" || name === "::" || /^::ffff:127\./.test(name) ? "loopback" : null;
  if (RESERVED_SUFFIXES.some((suffix) => name.endsWith(suffix))) return "placeholder";
  if (EXAMPLE_DOMAINS.some((domain) => name === domain || name.endsWith(`.${domain}`))) return "placeholder";
  return null;
}

/** Host of `http(s)://host[:port]/…`, of `host:port` or of a bare host; "" when there is none. */
export function hostOf(address: string): string {
  const authority = address.replace(/^[a-z][a-z0-9+.-]*:\/\//i, "").split(/[/?#]/)[0] ?? "";
  if (authority.startsWith("[")) return authority.slice(0, authority.indexOf("]") + 1);
  const colon = authority.lastIndexOf(":");
  return colon >= 0 && authority.indexOf(":") === colon ? authority.slice(0, colon) : authority;
}

/** `<what> "<value>" is a loopback address: <loopbackMeans>`, `… is a placeholder name …`, or null. */
export function addressWarning(what: string, value: string, loopbackMeans: string): string | null {
  const concern = addressConcern(hostOf(value));
  if (concern === "loopback") return `${what} "${value}" is a loopback address: ${loopbackMeans}`;
  if (concern === "placeholder") return `${what} "${value}" is a placeholder name (reserved for examples, it resolves nowhere): put the real address`;
  return null;
}
