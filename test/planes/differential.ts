// Generated requests for the cross-plane differential test: raw bytes built from the pieces that make readings
// differ (dot-segments, `;` parameters, percent-encodings, backslashes, non-ASCII), owned header names in every
// spelling, values that are not UTF-8, header counts around the limit, tokens with stray bytes. Seeded: the same
// seed gives the same requests. The oracle here is written independently of the core (DECISIONS.md §1.1–1.3).

export const ANONYMOUS_RULES = ["/public/*", "/static*", "/healthz"];
export const OPEN_RULES = ["/catalog/*"];
/** Owned names under the differential policy (identity, groups, mapped claim, degraded, canary, limiter). */
export const OWNED = ["x-auth-subject", "x-auth-groups", "x-auth-scope", "x-auth-degraded", "x-canary", "x-meshgate-limiter"];
/** Every value a generated request gives an owned header starts with this: none may reach an upstream. */
export const SPOOF_MARK = "spoofed";
/** Header lines Envoy's codec and the Kong plugin allow (DECISIONS.md §1.2). */
export const MAX_LINES = 100;

export type Rng = () => number;

/** mulberry32: small, fast, and the same sequence on every machine. */
export function rng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(r: Rng, items: readonly T[]): T {
  return items[Math.floor(r() * items.length)]!;
}

const PREFIXES = ["/public/", "/public", "/static", "/static/", "/healthz", "/catalog/", "/admin", "/orders/", "/"];
const PIECES = [
  ".", "..", "..;", ".;", ";x=1", ";jsessionid=9", "a", "b/", "/", "//", "%2e", "%2E%2e", "%2F", "%5c", "%252e", "%00",
  "%41", "%3B", "%zz", "\\", "\u00e0", "\u00f0ab", "\u00c0\u00ae", "\u00ff", "x", "admin", "-_~", "%C3%A9",
];
const STRAY = ["\u00e9", "\u00ff", "\u0080", "\u00c1\u00b3", "\u00e0\u0080"];
const OVERRIDES = ["always", "never", "ALWAYS", "alway\u00c1\u00b3", "always\u00e9", " always ", "\u00e1lways"];
const BAGGAGE = ["a=1", "a=1,b=caf\u00c3\u00a9,mg=canary", "mg=stable,z=\u00ff", "k=v;p=1,,x=y"];

export interface Tokens {
  /** Verified, member of `testers` (may override the canary). */
  tester: string;
  /** Verified, no groups. */
  plain: string;
}

export interface Generated {
  target: string;
  headers: Array<[string, string]>;
  /** Which credential it carries, for the report. */
  credential: string;
}

/** One request. `fresh`: a token never sent before (phase with a failing auth service, nothing cached). */
export function generate(r: Rng, tokens: Tokens, fresh: () => string): Generated {
  let target = pick(r, PREFIXES);
  const pieces = Math.floor(r() * 5);
  for (let i = 0; i < pieces; i++) target += (r() < 0.5 ? "/" : "") + pick(r, PIECES);
  target = target.replace(/^\/\/+/, "/");
  if (r() < 0.2) target += pick(r, ["?q=1", "?a=%2e%2e", "?x=/../admin", "?\u00e9=1"]);

  const headers: Array<[string, string]> = [["host", "localhost"]];
  let credential = "none";
  const c = r();
  if (c < 0.25) credential = "tester";
  else if (c < 0.45) credential = "plain";
  else if (c < 0.6) credential = "stray";
  else if (c < 0.67) credential = "inactive";
  else if (c < 0.72) credential = "malformed";
  else if (c < 0.75) credential = "duplicate";
  if (credential === "tester" || credential === "plain") headers.push(["authorization", `Bearer ${tokens[credential]}`]);
  else if (credential === "stray") headers.push(["authorization", `Bearer ${pick(r, [tokens.tester, tokens.plain])}${pick(r, STRAY)}`]);
  else if (credential === "inactive") headers.push(["authorization", `Bearer ${fresh()}`]);
  else if (credential === "malformed") headers.push(["authorization", pick(r, ["Bearer abc{d}", "Bearer ", "Bearer a b", "Bearer \u00e9\u00e9"])]);
  else if (credential === "duplicate") headers.push(["authorization", `Bearer ${tokens.plain}`], ["authorization", `Bearer ${tokens.plain}`]);

  const spoofs = Math.floor(r() * 4);
  for (let i = 0; i < spoofs; i++) headers.push([spell(r, pick(r, OWNED)), SPOOF_MARK + pick(r, ["", "-admins", "\u00e9", "\u00c1\u00b3"])]);
  if (r() < 0.3) headers.push(["x-canary", pick(r, OVERRIDES)]);
  if (r() < 0.2) headers.push(["baggage", pick(r, BAGGAGE)]);
  if (r() < 0.2) headers.push(["x-note", pick(r, ["caf\u00e9", "\u00ff\u00fe", "plain", "\u00c0\u00af"])]);
  if (r() < 0.12) {
    // Around the limit: `connection: close` is added when sent, so it counts.
    const total = MAX_LINES - 2 + Math.floor(r() * 5);
    for (let i = headers.length + 1; i < total; i++) headers.push([`x-fill-${i}`, "v"]);
  }
  return { target, headers, credential };
}

/** An owned name in another spelling: ASCII case and `-` as `_` or `.`. */
function spell(r: Rng, name: string): string {
  let out = "";
  for (const ch of name) {
    if (ch === "-") out += pick(r, ["-", "-", "_", "."]);
    else out += r() < 0.2 ? ch.toUpperCase() : ch;
  }
  return out;
}

export function fold(name: string): string {
  return name.toLowerCase().replace(/[_.]/g, "-");
}

/** Whether every reading of the path is inside one of the rules (an independent, stricter restatement of
 *  DECISIONS.md §1.1: anything this does not understand is "not covered"). */
export function coveredByRules(target: string, rules: string[]): boolean {
  const path = target.split("?")[0]!;
  if (!path.startsWith("/") || /[^\x21-\x7e]|[\\#|"<>[\]^`{}]/.test(path)) return false;
  let decoded = "";
  for (let i = 0; i < path.length; i++) {
    if (path[i] !== "%") { decoded += path[i]; continue; }
    const hex = path.slice(i + 1, i + 3);
    if (!/^[0-9a-fA-F]{2}$/.test(hex)) return false;
    const ch = String.fromCharCode(parseInt(hex, 16));
    if (!/[A-Za-z0-9\-_~]/.test(ch)) {
      if (/[./\\%;]/.test(ch) || ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) >= 0x7f) return false;
      decoded += "%" + hex.toUpperCase();
    } else decoded += ch;
    i += 2;
  }
  const segments = decoded.slice(1).split("/");
  const cut: string[] = [];
  for (let i = 0; i < segments.length; i++) {
    const name = segments[i]!.split(";")[0]!;
    if (name === "." || name === "..") return false;
    if (name === "" && (i < segments.length - 1 || segments[i]!.includes(";"))) return false;
    cut.push(name);
  }
  const matches = (p: string): boolean => rules.some((rule) => (rule.endsWith("*") ? p.startsWith(rule.slice(0, -1)) : p === rule));
  return matches("/" + cut.join("/")) && matches(decoded);
}

export function describeBytes(s: string): string {
  return JSON.stringify(s).replace(/[\u0080-\u00ff]/g, (ch) => `\\x${ch.charCodeAt(0).toString(16)}`);
}
