// fast-check arbitraries per decision kind: both builds must return identical outputs for every
// generated input. One entry per kind; modules add theirs below.
import fc from "fast-check";

const anyText = fc.string({ unit: "binary", maxLength: 200 });

export const generators = {
  "json.parse": fc.oneof(
    fc.json({ maxDepth: 4 }).map((text) => ({ text })),
    anyText.map((text) => ({ text })),
  ),
  "utf8.decode": fc.uint8Array({ maxLength: 64 }).map((b) => ({ bytes: Array.from(b) })),
  "utf8.text": fc.oneof(fc.uint8Array({ maxLength: 64 }), anyText.map((text) => new TextEncoder().encode(text))).map((b) => ({ bytes: Array.from(b) })),
  "utf8.encode": anyText.map((text) => ({ text })),
  sha256: fc.uint8Array({ maxLength: 300 }).map((b) => ({ bytes: Array.from(b) })),
  fnv1a32: anyText.map((text) => ({ text })),
  "gcra.params": limitsArbitraries().params,
  "gcra.sequence": limitsArbitraries().sequence,
  "gcra.windows": limitsArbitraries().windows,
  "ratelimit.headers": limitsArbitraries().headers,
  "ratelimit.body": limitsArbitraries().body,
  "canary.decide": limitsArbitraries().canaryDecide,
  "canary.headers": limitsArbitraries().canaryHeaders,
  "policy.validate": policyArbitraries().validate,
  "policy.normalize": policyArbitraries().normalize,
  "policy.identityHeaders": policyArbitraries().identityHeaders,
  "policy.planeGaps": policyArbitraries().planeGaps,
  "token.extract": authFlowArbitraries().tokenExtract,
  "auth.interpret": authFlowArbitraries().interpret,
  "auth.cacheKey": authFlowArbitraries().cacheKey,
  "auth.challenge": authFlowArbitraries().challenge,
  flow: authFlowArbitraries().flow,
  "flow.record": authFlowArbitraries().record,
  "auth.request": authFlowArbitraries().request,
  "decision.codec": authFlowArbitraries().codec,
  "path.read": pathArbitraries().read,
  "path.matches": pathArbitraries().matches,
  "path.refusal": pathArbitraries().read.map(({ path }) => ({ target: path })),
  "header.fold": fc.string({ unit: fc.constantFrom("a", "X", "-", "_", ".", "\u00e9", "\u00ff", "+"), maxLength: 24 }).map((name) => ({ name })),
};

// Request paths as byte strings (one character per byte), built from the pieces that make readings differ.
function pathArbitraries() {
  const piece = fc.constantFrom("/", "public", "static", "admin", ".", "..", ";", ";x=1", "%2e", "%2F", "%5c", "%25",
    "%00", "%41", "%7e", "%20", "%zz", "%", "\\", "\u00e0", "\u00ff", "\u0001", " ", "?", "?a=1", "#", "|", "a", "-");
  const path = fc.array(piece, { maxLength: 12 }).map((parts) => "/" + parts.join(""));
  const rawPath = fc.oneof(path, fc.string({ unit: "binary-ascii", maxLength: 40 }));
  return {
    read: rawPath.map((p) => ({ path: p })),
    matches: fc.record({ rules: fc.constant(["/public/*", "/static*", "/healthz"]), path: rawPath }),
  };
}

// Rate limit and canary kinds (run-limits.ts). A function declaration so the entries above can use it.
function limitsArbitraries() {
  const period = fc.oneof(fc.constantFrom(1, 60, 3600, 86400), fc.integer({ min: 1, max: 100000 }));
  const shape = { rate: fc.integer({ min: 1, max: 1000000 }), periodSeconds: period, burst: fc.integer({ min: 0, max: 1000 }) };
  const nowMs = fc.oneof(
    fc.integer({ min: 0, max: 100000 }),
    fc.double({ min: 0, max: 2e12, noNaN: true }),
    fc.integer({ min: 0, max: 4000000 }).map((n) => 1.7e12 + n / 4),
  );
  const group = fc.constantFrom("testers", "beta", "staff", "Testers", "");
  const subject = fc.oneof(fc.constantFrom("alice", "bob", "qa-bot", "", "usér-ü"), fc.string({ maxLength: 40 }), anyText);
  const overrideValue = fc.oneof(fc.constantFrom("always", "never", " Always\t", "NEVER", "", "alwaysx", "\u00a0always"), anyText);
  const ip = fc.oneof(fc.ipV4(), fc.ipV6(), fc.constant(""));
  const member = fc.oneof(
    fc.constantFrom("mg=canary", "mg = stable ; p", "mg", "userId=alice", "a=1;p1;p2=v", "", " ", "k;mg=1", "MG=x"),
    fc.tuple(fc.stringMatching(/^[a-z]{1,8}$/), fc.string({ maxLength: 300 })).map(([k, v]) => k + "=" + v),
    anyText,
  );
  const baggage = fc.tuple(fc.array(member, { maxLength: 80 }), fc.constantFrom(",", " , ", ",\t", ",,")).map(([m, sep]) => m.join(sep));
  return {
    params: fc.record({
      rate: fc.integer({ min: -5, max: 3000000 }),
      periodSeconds: fc.integer({ min: -1, max: 31536000 }),
      burst: fc.integer({ min: -5, max: 100000 }),
    }),
    sequence: fc.record({
      ...shape,
      tatUs: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 2e15 }), fc.double({ min: -10, max: 2e15, noNaN: true })),
      requestsAtMs: fc.array(nowMs, { maxLength: 30 }),
    }, { requiredKeys: ["rate", "periodSeconds", "burst", "requestsAtMs"] }),
    windows: fc.record({
      windows: fc.array(fc.record(shape), { minLength: 1, maxLength: 4 }),
      tats: fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 2e15 })), { maxLength: 4 }),
      requestsAtMs: fc.array(fc.oneof(fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 0, max: 4000000 }).map((n) => 1.7e12 + n / 4)), { maxLength: 30 }),
    }),
    headers: fc.record({
      policy: fc.record({
        rate: fc.integer({ min: 0, max: 2147483647 }), periodSeconds: period, burst: shape.burst,
        headers: fc.constantFrom("ietf", "legacy", "none", "other"), name: fc.oneof(fc.constantFrom("default", "a\"b\\c"), anyText),
      }),
      result: fc.record({
        allowed: fc.boolean(),
        remaining: fc.integer({ min: -5, max: 2000000 }),
        resetUs: fc.oneof(fc.integer({ min: 0, max: 1e14 }), fc.double({ min: -1, max: 1e14, noNaN: true })),
        retryAfterUs: fc.oneof(fc.integer({ min: 0, max: 1e14 }), fc.double({ min: -1, max: 1e14, noNaN: true })),
      }),
    }),
    body: fc.record({ policy: fc.record({ name: fc.oneof(fc.constant("default"), anyText), status: fc.integer({ min: 100, max: 599 }) }) }),
    canaryDecide: fc.record({
      policy: fc.record({
        overrideGroups: fc.array(group, { maxLength: 3 }),
        overrideSubjects: fc.array(subject, { maxLength: 3 }),
        basisPoints: fc.oneof(fc.integer({ min: 0, max: 10000 }), fc.integer({ min: -100, max: 20000 })),
        salt: fc.oneof(fc.constantFrom("", "s1"), anyText),
      }),
      subject, groups: fc.array(group, { maxLength: 4 }), anonymous: fc.boolean(), clientIp: ip, override: overrideValue,
    }),
    canaryHeaders: fc.record({
      policy: fc.record({ tagHeader: fc.constantFrom("x-canary", "", "x-route-tag"), baggageKey: fc.constantFrom("", "mg", "meshgate-canary") }),
      decision: fc.record({ canary: fc.boolean() }),
      baggage,
    }),
  };
}

// Policy documents (run-policy.ts): mixes of valid sections, random extra keys, wrong types and random
// numbers; each field is usually valid so that about a third of the documents pass and get normalised.
// A function declaration so the entries above can use it.
function policyArbitraries() {
  const str = fc.oneof(
    fc.constantFrom("", "a b", "host", "cookie", "x-auth-subject", "ftp://x", "/a*b", "header:", "Subject", "1abc",
      "a\"b", "a\\b", "tab\there", "café", "\u0000", "x".repeat(65)),
    fc.string({ maxLength: 12 }),
    fc.string({ unit: "binary", maxLength: 8 }),
  );
  const num = fc.oneof(
    fc.constantFrom(0, 1, -1, 0.5, 12.345, 100.01, -0.01, 1e-9, 1e21, 5e-324, 86400.5, 1000001, 65536, 1.7976931348623157e308),
    fc.integer({ min: -10, max: 70000 }),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
  );
  const scalar = fc.oneof(fc.constant(null), fc.boolean(), num, str);
  const junk = fc.oneof(scalar, fc.array(scalar, { maxLength: 3 }), fc.dictionary(str, scalar, { maxKeys: 2 }));
  const mostly = (good, bad) => fc.oneof({ arbitrary: good, weight: 60 }, { arbitrary: bad, weight: 1 });
  const value = (good) => mostly(good, junk);
  const int = (min, max) => value(fc.integer({ min, max }));
  const seconds = (max) => value(fc.oneof(fc.integer({ min: 0, max }), fc.integer({ min: 0, max: 100 * max }).map((n) => n / 100)));
  const extraKeys = fc.dictionary(fc.oneof(fc.constantFrom("unknownField", "a.b", ""), fc.string({ maxLength: 6 })), scalar, { minKeys: 1, maxKeys: 2 });
  // Any subset of the known fields, now and then with unknown keys mixed in.
  const object = (model) => fc.tuple(fc.record(model, { requiredKeys: [] }), fc.oneof({ arbitrary: fc.constant({}), weight: 30 }, { arbitrary: extraKeys, weight: 1 }))
    .map(([known, extra]) => ({ ...extra, ...known }));
  const list = (item, maxLength) => value(fc.array(item, { maxLength }));
  const header = fc.oneof({ arbitrary: fc.constantFrom("x-auth-user", "X-Tenant", "x-degraded", "x-request-id", "traceparent"), weight: 30 },
    { arbitrary: fc.constantFrom("host", "authorization", "bad name", ""), weight: 1 });
  const pathRule = fc.oneof({ arbitrary: fc.constantFrom("/health", "/public/*", "/*", "/a/b"), weight: 30 }, { arbitrary: fc.constantFrom("/a*b", "nope", "/a?b"), weight: 1 });
  const tokenSource = mostly(fc.oneof(
    object({ name: value(fc.constantFrom("authorization", "X-Api-Token")), scheme: value(fc.constantFrom("Bearer", "", "Token")) }).map((s) => ({ type: "header", ...s })),
    object({ name: value(fc.constantFrom("session", "SID")) }).map((s) => ({ type: "cookie", name: "session", ...s })),
    object({ name: value(fc.constantFrom("access_token", "t")) }).map((s) => ({ type: "query", name: "t", ...s })),
  ), object({ type: value(fc.constantFrom("body", "header")), name: value(str), scheme: value(str) }));
  const service = mostly(fc.oneof(
    object({ url: value(fc.constantFrom("http://auth:8080/i", "HTTPS://a.example:443/x?q=1", "http://[::1]:8080/")) }).map((s) => ({ url: "http://auth/", ...s })),
    fc.record({ cluster: value(fc.constantFrom("outbound|8080||auth", "auth")), authority: value(fc.constantFrom("auth:8080", "auth")), path: value(fc.constantFrom("/introspect", "/v1/check?x=1")) }),
  ), object({ url: value(str), cluster: value(str), authority: value(str), path: value(str) }));
  const auth = object({
    enabled: value(fc.boolean()),
    mode: value(fc.constantFrom("introspection", "forward")),
    timeoutMs: int(1, 60000),
    tokenSources: value(fc.array(tokenSource, { minLength: 1, maxLength: 3 })),
    maxTokenLength: int(16, 65536),
    forwardHeaders: list(header, 3),
    introspectionAuthorization: value(mostly(fc.constantFrom("", "Basic dXNlcjpwYXNz"), fc.constant("Basic x\r\n"))),
    identityHeaders: value(object({ subject: value(fc.constantFrom("x-user", "X-Sub")), groups: value(fc.constantFrom("x-roles", "X-Groups")) })),
    headerMappings: list(object({ from: value(mostly(fc.constantFrom("tenant", "X-Tenant-Id"), fc.constant("tenant id"))), to: value(header) }).map((m) => ({ from: "tenant", to: "x-tenant", ...m })), 3),
    cache: value(object({ maxEntries: int(1, 10000000), ttlSeconds: seconds(86400), negativeTtlSeconds: seconds(3600), staleIfErrorSeconds: seconds(86400) })),
    bodyRule: value(object({ pointer: value(fc.constantFrom("/result/valid", "/", "/a~1b")), equals: scalar }).map((r) => ({ pointer: "/ok", equals: true, ...r }))),
    failure: value(object({
      mode: value(fc.constantFrom("closed", "open")), status: value(fc.constantFrom(401, 503, 500, 599)),
      openPaths: list(pathRule, 3), degradedHeader: value(fc.constantFrom("x-auth-degraded", "X-Degraded")),
    })),
    anonymousPaths: list(pathRule, 3),
    realm: value(fc.constantFrom("meshgate", "", "my shop")),
    clockSkewSeconds: seconds(300),
  }).chain((a) => value(service).map((s) => ({ service: s, ...a })));
  const canary = object({
    enabled: value(fc.boolean()),
    overrideHeader: value(header),
    overrideGroups: list(fc.constantFrom("testers", "qa"), 3),
    overrideSubjects: list(fc.constantFrom("alice", "bob"), 3),
    percentage: value(mostly(fc.oneof(fc.integer({ min: 0, max: 10000 }).map((n) => n / 100), fc.integer({ min: 0, max: 100 })), num)),
    salt: value(fc.string({ maxLength: 20 })),
    tagHeader: value(header),
    baggageKey: value(fc.constantFrom("", "canary", "Canary")),
    kong: value(fc.oneof(object({ upstream: value(fc.constantFrom("shop-canary", "u")) }), object({ target: value(fc.constantFrom("canary:8080", "10.0.0.1:1")) }))),
  });
  const rateLimit = object({
    enabled: value(fc.boolean()),
    key: value(fc.constantFrom("subject", "ip", "header:X-Api-Key")),
    periodSeconds: int(1, 86400),
    burst: value(mostly(fc.integer({ min: 0, max: 1000000 }), num)),
    policy: value(fc.constantFrom("local", "redis")),
    faultTolerant: value(fc.boolean()),
    redis: value(object({
      host: value(fc.constantFrom("redis", "10.0.0.5")), port: int(1, 65535), database: int(0, 15), username: value(fc.constantFrom("", "mg")),
      password: value(fc.string({ maxLength: 10 })), timeoutMs: int(1, 5000), prefix: value(fc.string({ maxLength: 10 })),
    })),
    headers: value(fc.constantFrom("ietf", "legacy", "none")),
    name: value(fc.constantFrom("default", "per-user", "*", "a:b/c")),
    status: int(400, 599),
  }).chain((r) => int(1, 1000000).map((rate) => ({ rate, ...r })));
  const document = fc.oneof(
    { arbitrary: object({ auth: value(auth), canary: value(canary), rateLimit: value(rateLimit) }), weight: 20 },
    { arbitrary: junk, weight: 1 },
  );
  // Raw text: the JSON of a document, sometimes cut short, sometimes arbitrary characters.
  const documentText = fc.oneof(
    document.map((doc) => JSON.stringify(doc)),
    fc.tuple(document, fc.nat()).map(([doc, cut]) => { const t = JSON.stringify(doc); return t.substring(0, cut % (t.length + 1)); }),
    fc.string({ unit: "binary", maxLength: 200 }),
  );
  return {
    validate: fc.oneof(document.map((doc) => ({ document: doc })), documentText.map((t) => ({ text: t }))),
    normalize: document.map((doc) => ({ document: doc })),
    identityHeaders: document.map((doc) => ({ document: doc })),
    planeGaps: fc.tuple(document, fc.constantFrom("kong", "envoy")).map(([doc, plane]) => ({ document: doc, plane })),
  };
}

// Auth conversation and request flow kinds (run-auth.ts, run-flow.ts). Policies are drawn from a fixed set of
// valid documents so every generated input exercises the decision, not the policy validator.
function authFlowArbitraries() {
  const svc = { url: "http://auth.internal:8080/introspect", cluster: "outbound|8080||auth.internal", authority: "auth.internal:8080", path: "/introspect" };
  const auth = (extra) => ({ auth: { service: svc, ...extra } });
  const policies = fc.constantFrom(
    auth({}),
    auth({ mode: "forward", forwardHeaders: [":method", ":path", "x-request-id"], headerMappings: [{ from: "x-user-email", to: "x-auth-email" }] }),
    auth({ tokenSources: [{ type: "header" }, { type: "cookie", name: "session" }, { type: "query", name: "access_token" }], maxTokenLength: 16 }),
    auth({ tokenSources: [{ type: "header", name: "x-api-key", scheme: "" }], realm: "a realm" }),
    auth({ clockSkewSeconds: 30, cache: { ttlSeconds: 600, negativeTtlSeconds: 0, staleIfErrorSeconds: 0 }, headerMappings: [{ from: "tenant", to: "x-auth-tenant" }, { from: "roles", to: "x-auth-roles" }] }),
    auth({ mode: "forward", bodyRule: { pointer: "/result/valid", equals: true }, failure: { mode: "open" } }),
    auth({ anonymousPaths: ["/health", "/public/*"], failure: { status: 401, openPaths: ["/catalog/*"] }, introspectionAuthorization: "Basic Y2xpZW50OnNlY3JldA==" }),
    { ...auth({ anonymousPaths: ["/public/*"] }), rateLimit: { key: "ip", rate: 2, burst: 1 }, canary: { overrideGroups: ["testers"], percentage: 50, baggageKey: "mg" } },
    { ...auth({}), rateLimit: { rate: 10, periodSeconds: 60, burst: 5, faultTolerant: false, headers: "legacy" }, canary: { overrideSubjects: ["alice"], percentage: 12.34, salt: "s1" } },
    { auth: { enabled: false, service: svc }, rateLimit: { key: "header:x-api-key", rate: 1 } },
    // Policy v2: routes (path, method, header matches; overrides), requirements, several windows.
    { ...auth({ anonymousPaths: ["/health"], headerMappings: [{ from: "tenant", to: "x-auth-tenant" }] }),
      rateLimit: { limits: [{ rate: 2, periodSeconds: 1, burst: 1 }, { rate: 5, periodSeconds: 3600 }] },
      require: { groups: ["testers", "beta"] },
      routes: [
        { name: "public", match: { paths: ["/public/*"] }, anonymous: true, rateLimit: { key: "ip", rate: 3 } },
        { name: "orders-write", match: { paths: ["/orders*"], methods: ["POST"] }, require: { scopes: ["orders:write"], claims: { tenant: ["acme", 7, true] } } },
        { name: "catalog", match: { paths: ["/catalog/*"], headers: [{ name: "x-api-key" }] }, failure: { mode: "open" }, require: {} },
        { name: "tenant", match: { headers: [{ name: "x-request-id", value: "abc" }] }, require: { audiences: ["api"], anyScopes: ["a", "b"] }, canary: { percentage: 100 } },
      ] },
    { ...auth({ mode: "forward", claimHeaders: { scope: "x-auth-groups", aud: "x-user-email" } }), require: { scopes: ["testers"], audiences: ["alice"] },
      rateLimit: { key: "ip", headers: "legacy", limits: [{ rate: 1, periodSeconds: 60 }, { rate: 10, periodSeconds: 86400, name: "daily" }] } },
  );
  const tokenText = fc.oneof(
    fc.stringMatching(/^[A-Za-z0-9._~+\/-]{1,40}=*$/),
    fc.string({ maxLength: 40 }),
    fc.string({ unit: "binary", maxLength: 40 }),
  );
  const headerValue = fc.oneof(
    tokenText.map((t) => "Bearer " + t),
    fc.tuple(fc.constantFrom("Bearer", "bearer", "Basic", "Bearer\t", "Token", ""), fc.constantFrom("", " ", "  ", "\t"), tokenText).map(([s, sp, t]) => s + sp + t),
    tokenText.map((t) => "a=1; session=" + t),
    fc.string({ maxLength: 60 }),
  );
  const headerName = fc.constantFrom("authorization", "Authorization", "cookie", "x-api-key", "x-request-id", "x-auth-subject", "x-canary", "x-user-email", "cache-control", "x-auth-groups");
  const headers = fc.array(fc.tuple(headerName, headerValue), { maxLength: 5 });
  const path = fc.oneof(
    fc.constantFrom("/", "/orders", "/health", "/health?x=1", "/public/a", "/public/../admin", "/public//x", "/public/%2e", "/catalog/x", "/public"),
    fc.tuple(fc.constantFrom("/api", "/public/x", "/catalog/y"), tokenText).map(([p, t]) => p + "?access_token=" + encodeURIComponent(t)),
    fc.tuple(fc.constantFrom("/api?", "/x?a=1&"), fc.string({ maxLength: 40 })).map(([p, q]) => p + q),
  );
  const nowMs = fc.oneof(fc.constant(1767225600000), fc.integer({ min: 1767225500000, max: 1767225700000 }), fc.double({ min: 0, max: 2e12, noNaN: true }));
  const claimsBody = fc.record({
    active: fc.oneof(fc.boolean(), fc.constantFrom("true", 1, null)),
    sub: fc.oneof(fc.constantFrom("alice", "", "bob\n", "a\tb"), fc.string({ maxLength: 20 })),
    scope: fc.oneof(fc.constantFrom("orders:write", "a b orders:write", "", "  a  "), fc.array(fc.constantFrom("a", "b", "orders:write", ""), { maxLength: 3 }), fc.integer()),
    aud: fc.oneof(fc.constantFrom("api", "alice", ""), fc.array(fc.oneof(fc.constantFrom("api", "x"), fc.integer()), { maxLength: 3 })),
    groups: fc.oneof(fc.array(fc.oneof(fc.constantFrom("testers", "", "a,b"), fc.string({ maxLength: 8 })), { maxLength: 4 }), fc.string({ maxLength: 20 })),
    exp: fc.oneof(fc.integer({ min: 1767225500, max: 1767229200 }), fc.double({ min: 0, max: 2e9, noNaN: true }), fc.constant("soon")),
    nbf: fc.integer({ min: 1767225500, max: 1767225700 }),
    tenant: fc.oneof(fc.string({ maxLength: 10 }), fc.integer(), fc.boolean()),
    roles: fc.array(fc.oneof(fc.string({ maxLength: 6 }), fc.integer(), fc.boolean(), fc.constant(null)), { maxLength: 4 }),
    result: fc.record({ valid: fc.oneof(fc.boolean(), fc.constantFrom("true", 1)) }),
  }, { requiredKeys: [] }).map((o) => JSON.stringify(o));
  const responseHeaders = fc.array(fc.tuple(
    fc.constantFrom("x-auth-subject", "x-auth-groups", "x-user-email", "cache-control", "content-type"),
    fc.oneof(fc.constantFrom("alice", "testers, dev", "max-age=30", "no-store", "private, Max-Age=5", "max-age=-1", "max-age=abc", ""), fc.string({ maxLength: 20 })),
  ), { maxLength: 4 });
  const response = fc.record({
    status: fc.oneof(fc.constantFrom(200, 204, 401, 403, 404, 429, 500, 503, 199), fc.integer({ min: 100, max: 599 })),
    headers: responseHeaders,
    body: fc.oneof(claimsBody, fc.string({ maxLength: 40 })),
  });
  const cacheEntry = fc.record({
    verdict: fc.constantFrom(0, 1), status: fc.constantFrom(200, 401, 403, 404), error: fc.constantFrom("", "invalid_token", "insufficient_scope"),
    fresh: nowMs, stale: nowMs, exp: fc.oneof(fc.constant(0), nowMs),
  }).map((e) => JSON.stringify({ v: 1, verdict: e.verdict, status: e.status, error: e.error, reason: "active", sub: "alice", groups: ["testers"],
    headers: [["x-auth-subject", "alice"], ["x-auth-groups", "testers"]], exp: e.exp, fresh: e.fresh, stale: e.stale }));
  const flow = fc.record({
    policy: policies,
    request: fc.record({ method: fc.constantFrom("GET", "POST"), path, headers, clientIp: fc.oneof(fc.ipV4(), fc.ipV6()) }),
    now: nowMs,
    cache: fc.oneof(fc.constant(null), cacheEntry, fc.constant("{\"v\":2}")),
    auth: fc.oneof(response, fc.constantFrom("timeout", "connect", "reset", "too_large", "weird").map((failure) => ({ failure }))),
    limit: fc.oneof(
      fc.constant({ unavailable: true }),
      fc.record({ tatUs: fc.oneof(fc.constant(0), fc.integer({ min: 1767225500000000, max: 1767225800000000 })) }),
      fc.record({ tats: fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 1767225500000000, max: 1767240000000000 })), { maxLength: 3 }), fallback: fc.boolean() }),
    ),
  });
  // The same flows with any mix of shadowed sections (a section's `shadow` on a disabled section is inert).
  const shadowed = (policy, [auth, limit, canary]) => ({
    ...policy,
    auth: { ...policy.auth, shadow: auth },
    ...(policy.rateLimit ? { rateLimit: { ...policy.rateLimit, shadow: limit } } : {}),
    ...(policy.canary ? { canary: { ...policy.canary, shadow: canary } } : {}),
    log: { decisions: "errors" },
  });
  return {
    tokenExtract: fc.record({ policy: policies, headers, path }),
    interpret: fc.record({ policy: policies, response, now: nowMs }),
    cacheKey: fc.record({ policy: policies, token: tokenText, headers, method: fc.constantFrom("GET", "POST"), path }),
    request: fc.record({ policy: policies, token: tokenText, headers, method: fc.constantFrom("GET", "POST", "DELETE"), path }),
    codec: fc.oneof(cacheEntry, fc.string({ maxLength: 80 }), fc.json({ maxDepth: 3 })).map((text) => ({ text })),
    challenge: fc.record({
      realm: fc.oneof(fc.constantFrom("meshgate", "a\"b\\c", ""), fc.string({ unit: "binary", maxLength: 40 })),
      error: fc.constantFrom("", "invalid_token", "invalid_request", "insufficient_scope"),
    }),
    flow,
    record: fc.tuple(flow, fc.tuple(fc.boolean(), fc.boolean(), fc.boolean()), fc.constantFrom("kong", "envoy"))
      .map(([input, flags, plane]) => ({ ...input, policy: shadowed(input.policy, flags), context: { plane, requestId: "r", timeMs: 1 } })),
  };
}
