// What `npm start` prints once everything listens: the URLs, and curl lines that show each feature.
import type { PolicyDocument } from "./policy.js";
import type { StackUrls } from "./stack.js";

function port(url: string): string {
  return new URL(url).port;
}

function section(policy: PolicyDocument, name: string): Record<string, unknown> {
  const value = policy[name];
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function rateLimitSummary(policy: PolicyDocument): string {
  const limit = section(policy, "rateLimit");
  if (Object.keys(limit).length === 0 || limit["enabled"] === false) return "no rate limit in this policy";
  const rate = typeof limit["rate"] === "number" ? limit["rate"] : "?";
  const period = typeof limit["periodSeconds"] === "number" ? limit["periodSeconds"] : 1;
  const burst = typeof limit["burst"] === "number" ? limit["burst"] : 0;
  const capacity = typeof burst === "number" ? burst + 1 : "?";
  return `${rate} per ${period}s per ${typeof limit["key"] === "string" ? limit["key"] : "subject"}, ${capacity} at once`;
}

/** One example per route of the policy that matches on a path: what it does differently, and a request to it. */
function routeLines(policy: PolicyDocument, kong: string): string[] {
  const routes = Array.isArray(policy["routes"]) ? (policy["routes"] as unknown[]) : [];
  const lines: string[] = [];
  for (const route of routes) {
    if (typeof route !== "object" || route === null) continue;
    const r = route as Record<string, unknown>;
    const match = section(r, "match");
    const paths = Array.isArray(match["paths"]) ? match["paths"].filter((p): p is string => typeof p === "string") : [];
    if (paths.length === 0) continue;
    const path = paths[0]!.endsWith("*") ? paths[0]!.slice(0, -1) + "x" : paths[0]!;
    const limit = section(r, "rateLimit");
    const facts: string[] = [];
    if (r["anonymous"] === true) facts.push("served without a token");
    if (Object.keys(section(r, "require")).length > 0) facts.push(`requires ${JSON.stringify(r["require"])}: 403 insufficient_scope otherwise`);
    if (limit["shadow"] === true) facts.push("its limit is shadowed: every request passes, the refusals it would make are recorded");
    else if (Object.keys(limit).length > 0) facts.push("its own limit");
    lines.push(`  # route ${String(r["name"])} (${paths.join(", ")}): ${facts.length > 0 ? facts.join("; ") : "its own sections"}`);
    const request = `curl -s -o /dev/null -w '%{http_code}\\n' ${kong}${path} -H "authorization: Bearer $ALICE"`;
    lines.push(limit["shadow"] === true ? `  for i in 1 2 3; do ${request}; done` : `  ${request}`);
    lines.push("");
  }
  return lines;
}

export function stackBanner(urls: StackUrls, policy: PolicyDocument, policyFile: string, envoyWorkers: number): string {
  const kong = `localhost:${port(urls.kong)}`;
  const envoy = `localhost:${port(urls.envoy)}`;
  const auth = `localhost:${port(urls.auth)}`;
  const canary = section(policy, "canary");
  const overrideHeader = typeof canary["overrideHeader"] === "string" ? canary["overrideHeader"] : "x-canary";
  const percentage = typeof canary["percentage"] === "number" ? canary["percentage"] : 0;
  const tokenJson = (sub: string, groups: string[]): string => `'{"sub":"${sub}","groups":${JSON.stringify(groups)}}'`;
  const tokenCall = (sub: string, groups: string[]): string =>
    `curl -s -X POST ${auth}/token -H 'content-type: application/json' -d ${tokenJson(sub, groups)}`;
  const extract = `| sed -E 's/.*"access_token":"([^"]+)".*/\\1/'`;
  // In parallel from one curl: a loop of curl processes is slower than the limit refills on a busy machine.
  const burst = (gateway: string, format: string): string =>
    `curl -s --no-progress-meter --parallel --parallel-immediate --parallel-max 60 -o /dev/null -w ${format} -H "authorization: Bearer $BOB" "${gateway}/hello?n=[1-60]"`;
  return [
    "",
    `meshgate local stack is up — policy ${policyFile}`,
    "",
    `  Kong-plane gateway   ${urls.kong}   meshgate plugin in the real kong-js-pluginserver`,
    `  Envoy-plane gateway  ${urls.envoy}   meshgate.wasm on the proxy-wasm host (${envoyWorkers} worker VMs)`,
    `  auth service         ${urls.auth}   /token /introspect /verify /.well-known/jwks.json /rotate /stats /faults`,
    `  upstream stable      ${urls.stable}`,
    `  upstream canary      ${urls.canary}`,
    "",
    "Metrics (Prometheus text; the same meshgate_* names on both planes):",
    `  Kong plane   ${urls.kongMetrics}   the plugin server's endpoint, up from the first request through Kong`,
    `  Envoy plane  ${urls.envoyMetrics}   the Envoy host's admin-style listener`,
    "",
    "Try it (copy and paste):",
    "",
    "  # get a token (alice is a tester, bob is not)",
    `  ${tokenCall("alice", ["testers"])}`,
    `  ALICE=$(${tokenCall("alice", ["testers"])} ${extract})`,
    `  BOB=$(${tokenCall("bob", [])} ${extract})`,
    "",
    "  # no token: 401 with WWW-Authenticate: Bearer",
    `  curl -i ${kong}/hello`,
    "",
    "  # both planes: 200 from stable, the upstream sees x-auth-subject / x-auth-groups",
    `  curl -s ${kong}/hello -H "authorization: Bearer $ALICE"`,
    `  curl -s ${envoy}/hello -H "authorization: Bearer $ALICE"`,
    "",
    `  # force the canary as a tester (${overrideHeader}: always); bob sending it is not forced (${percentage}% of users go to canary by a sticky hash)`,
    `  curl -s ${kong}/hello -H "authorization: Bearer $ALICE" -H '${overrideHeader}: always'`,
    `  curl -s ${envoy}/hello -H "authorization: Bearer $ALICE" -H '${overrideHeader}: always'`,
    `  curl -s ${kong}/hello -H "authorization: Bearer $BOB" -H '${overrideHeader}: always'`,
    "",
    `  # hit the limit (${rateLimitSummary(policy)}): 60 requests at once (curl ≥ 7.84), counted by status, with the headers`,
    `  ${burst(kong, "'%{http_code}\\n'")} | sort | uniq -c`,
    `  ${burst(envoy, "'%{http_code} retry-after: %header{retry-after}  ratelimit-policy: %header{ratelimit-policy}\\n'")} | sort | uniq -c`,
    "",
    ...routeLines(policy, kong),
    "  # one auth call per distinct token (per plane), then the decision cache",
    `  curl -s ${auth}/stats`,
    "",
    "  # what each plane decided and why: route, section, reason (shadow decisions too)",
    `  curl -s ${urls.kongMetrics} | grep -E '^meshgate_(shadow_)?decisions_total'`,
    `  curl -s ${urls.envoyMetrics} | grep -E '^meshgate_(shadow_)?decisions_total'`,
    "",
    "One line per request follows: METHOD PATH STATUS PLANE VARIANT TIME, and one `decision {…}` line per logged",
    "decision of either plane (the same JSON on both). Ctrl-C stops everything.",
    "",
  ].join("\n");
}
