// A k6 stand-in for the tests (k6 itself cannot be installed here). Faithful where the scripts can go wrong:
// - the script must compile on the oldest supported k6 (k6-syntax.ts);
// - init code runs in a fresh module instance per VU and once more for setup()/teardown(), as k6 does, with
//   `__VU` 0 there and 1..N in the VUs, `__ITER` the VU's iteration (0-based), `__ENV` the variables given, and a
//   clock that moves on between calls (separate k6 VUs never initialise within the same millisecond);
// - setup()'s return value reaches each VU as a copy through JSON, like k6's;
// - check() evaluates its predicates; checks, custom metrics and the HTTP metrics keep their samples with tags,
//   and the script's thresholds are evaluated on them as k6 would (k6-thresholds.ts).
// HTTP goes to a live server through blocking requests (k6's http API is synchronous), or, without a server,
// to a recorder that answers 200 with a canned body. Executors: per-vu-iterations and shared-iterations; any
// scenario in a dry run (a few iterations each, to exercise a script's code paths against a live server).
import { readFileSync } from "node:fs";
import { createContext, runInContext } from "node:vm";
import ts from "typescript";
import { assertOldK6Syntax } from "./k6-syntax.js";
import { MetricStore, type MetricType, type ThresholdResult } from "./k6-thresholds.js";

export { THRESHOLD_EXPRESSION } from "./k6-thresholds.js";
import type { SyncRequest, SyncResponse } from "./sync-http.js";

export const K6_MODULES = ["k6", "k6/http", "k6/metrics", "k6/execution", "k6/data"];

/** Every module specifier the script mentions: static imports, re-exports, import() and require(). */
export function importSpecifiers(path: string): string[] {
  const source = ts.createSourceFile(path, readFileSync(path, "utf8"), ts.ScriptTarget.ES2020, true, ts.ScriptKind.JS);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      found.push(node.moduleSpecifier.text);
    }
    if (ts.isCallExpression(node)) {
      const callee = node.expression;
      const isImport = callee.kind === ts.SyntaxKind.ImportKeyword;
      const isRequire = ts.isIdentifier(callee) && callee.text === "require";
      if (isImport || isRequire) {
        const first = node.arguments[0];
        found.push(first && ts.isStringLiteral(first) ? first.text : "<computed specifier>");
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

export interface HttpCall {
  method: string;
  url: string;
}

/** Where the stand-in's HTTP requests go: `SyncHttp` (a live server) or `recordingBackend()`. */
export interface HttpBackend {
  batch(requests: SyncRequest[]): SyncResponse[];
}

/** No network: every request answers 200, `POST …/token` with `{"access_token":"stub-token"}`, others `{}`. */
export function recordingBackend(): HttpBackend {
  return {
    batch: (requests) => requests.map((r) => ({
      status: 200,
      headers: { "content-type": "application/json" },
      body: r.method === "POST" && new URL(r.url).pathname.endsWith("/token") ? '{"access_token":"stub-token"}' : "{}",
      durationMs: 1,
      error: null,
    })),
  };
}

export interface CheckCount {
  passes: number;
  fails: number;
}

export interface K6Options {
  /** `__ENV` of every instance (k6: `-e` and, by default, the system environment). */
  env?: Record<string, string>;
  http?: HttpBackend;
  /** Milliseconds since the epoch for `Date.now()` in the script; default: real time, strictly increasing. */
  clock?: () => number;
  /**
   * A dry run: every scenario, whatever its executor, runs this many iterations on at most 2 VUs, in the order
   * declared. Setup, the exec functions, teardown and the per-request checks are real; thresholds that depend on
   * volume or timing mean nothing then.
   */
  dryRunIterations?: number;
}

export interface K6RunResult {
  /** Per check name. */
  checks: Map<string, CheckCount>;
  /** Errors thrown by iterations (k6 logs them and goes on with the next iteration). */
  iterationErrors: string[];
  /** The value setup() returned. */
  setupData: unknown;
  /** `options.thresholds`, evaluated on the run's samples. */
  thresholds: ThresholdResult[];
}

interface ScenarioSpec {
  executor?: string;
  exec?: string;
  vus?: number;
  iterations?: number;
  preAllocatedVUs?: number;
}

/** Go's textproto.CanonicalMIMEHeaderKey, which k6 applies to response header names. */
function canonicalHeaderName(name: string): string {
  return name.toLowerCase().replace(/(^|-)([a-z])/g, (_, dash: string, c: string) => dash + c.toUpperCase());
}

/** k6's Response.json(selector) for the plain dotted paths the scripts use (GJSON in k6). */
function selectJson(body: string, selector?: string): unknown {
  const parsed: unknown = JSON.parse(body);
  if (selector === undefined) return parsed;
  let value: unknown = parsed;
  for (const key of selector.split(".")) value = typeof value === "object" && value !== null ? (value as Record<string, unknown>)[key] : undefined;
  return value;
}

function monotonicClock(): () => number {
  let last = 0;
  return () => {
    last = Math.max(Date.now(), last + 1);
    return last;
  };
}

/** One loaded script: module instances per VU and a run of its scenarios, sharing checks, metrics and HTTP. */
export class K6Script {
  readonly checks = new Map<string, CheckCount>();
  /** Names given to `new Counter/Gauge/Rate/Trend(name)` (in the setup instance). */
  readonly customMetrics: string[] = [];
  readonly metrics = new MetricStore();
  readonly httpCalls: HttpCall[] = [];
  private readonly compiled: string;
  private readonly env: Record<string, string>;
  private readonly http: HttpBackend;
  private readonly clock: () => number;
  private readonly dryRunIterations: number | undefined;
  /** What k6/execution and `__ITER` report while an iteration runs. */
  private readonly state = { scenario: "setup", iterationInTest: 0, scenarioStartMs: 0 };
  /** What http_req_failed counts as a success (k6's default: 200–399; http.setResponseCallback changes it). */
  private expected: (status: number) => boolean = (status) => status >= 200 && status < 400;

  constructor(readonly path: string, options: K6Options = {}, source = readFileSync(path, "utf8")) {
    assertOldK6Syntax(source, path);
    this.compiled = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2017, allowJs: true, esModuleInterop: true },
      fileName: path,
    }).outputText;
    this.env = options.env ?? {};
    this.http = options.http ?? recordingBackend();
    this.clock = options.clock ?? monotonicClock();
    this.dryRunIterations = options.dryRunIterations;
  }

  /** A fresh module instance, as k6 creates one per VU (`vu` ≥ 1) and one for setup/teardown (`vu` 0). */
  instantiate(vu: number): K6Instance {
    const globals = { __ENV: { ...this.env }, __VU: vu, __ITER: 0, console };
    const context = createContext(globals);
    runInContext("Date.now = __clock; delete globalThis.__clock;", Object.assign(context, { __clock: this.clock }));
    const modules = this.modules(vu, () => globals.__ITER);
    const require = (specifier: string): unknown => {
      if (!(specifier in modules)) throw new Error(`${this.path} imports '${specifier}', which is not a k6 module`);
      return modules[specifier];
    };
    const module = { exports: {} as Record<string, unknown> };
    const body = runInContext(`(function (require, module, exports) {\n${this.compiled}\n})`, context, { filename: this.path }) as
      (r: typeof require, m: typeof module, e: Record<string, unknown>) => void;
    body(require, module, module.exports);
    return { vu, exports: module.exports, setIteration: (iteration: number) => { globals.__ITER = iteration; } };
  }

  /** init for setup → setup() → init per VU → each scenario's iterations → teardown(), in k6's order. */
  run(): K6RunResult {
    const setupInstance = this.instantiate(0);
    const options = (setupInstance.exports["options"] ?? {}) as
      { scenarios?: Record<string, ScenarioSpec>; vus?: number; iterations?: number; thresholds?: Record<string, unknown> };
    const setup = setupInstance.exports["setup"];
    const setupData: unknown = typeof setup === "function" ? setup() : undefined;
    // Without scenarios, k6 runs `vus`/`iterations` as shared-iterations (1 VU, 1 iteration by default).
    const scenarios = options.scenarios ?? { default: { executor: "shared-iterations", vus: options.vus ?? 1, iterations: options.iterations ?? 1 } };
    const iterationErrors: string[] = [];
    let nextVu = 1;
    for (const [name, spec] of Object.entries(scenarios)) {
      const plan = this.iterationPlan(name, spec);
      const instances = Array.from({ length: plan.vus }, () => this.instantiate(nextVu++));
      Object.assign(this.state, { scenario: name, iterationInTest: 0, scenarioStartMs: this.clock() });
      for (const [iterationInTest, slot] of plan.order.entries()) {
        const instance = instances[slot.vu]!;
        const fn = instance.exports[spec.exec ?? "default"];
        if (typeof fn !== "function") throw new Error(`${this.path}: scenario ${name} runs '${spec.exec ?? "default"}', which is not an exported function`);
        this.state.iterationInTest = iterationInTest;
        instance.setIteration(slot.iteration);
        try {
          fn(setupData === undefined ? undefined : JSON.parse(JSON.stringify(setupData)));
          this.metrics.add("iterations", 1, { scenario: name });
        } catch (err) {
          iterationErrors.push(`${name} VU ${instance.vu} iteration ${slot.iteration}: ${(err as Error).message}`);
        }
      }
    }
    const teardown = setupInstance.exports["teardown"];
    this.state.scenario = "teardown";
    if (typeof teardown === "function") teardown(setupData);
    const thresholds = this.metrics.evaluate(options.thresholds ?? {});
    return { checks: this.checks, iterationErrors, setupData, thresholds };
  }

  /** How many VUs the scenario has, and which VU runs each of its iterations with which `__ITER`. */
  private iterationPlan(name: string, spec: ScenarioSpec): { vus: number; order: Array<{ vu: number; iteration: number }> } {
    const dryRun = this.dryRunIterations !== undefined;
    const vus = dryRun ? Math.min(2, spec.vus ?? spec.preAllocatedVUs ?? 1) : spec.vus ?? 1;
    const iterations = this.dryRunIterations ?? spec.iterations ?? 1;
    const executor = dryRun ? "shared-iterations" : spec.executor;
    const order: Array<{ vu: number; iteration: number }> = [];
    if (executor === "per-vu-iterations") {
      for (let vu = 0; vu < vus; vu += 1) for (let i = 0; i < iterations; i += 1) order.push({ vu, iteration: i });
    } else if (executor === "shared-iterations") {
      const done = new Array<number>(vus).fill(0);
      for (let i = 0; i < iterations; i += 1) order.push({ vu: i % vus, iteration: done[i % vus]!++ });
    } else {
      throw new Error(`${this.path}: the k6 stand-in runs per-vu-iterations and shared-iterations, not ${spec.executor} (scenario ${name})`);
    }
    return { vus, order };
  }

  private modules(vu: number, iteration: () => number): Record<string, unknown> {
    const script = this;
    type TaggedRequest = SyncRequest & { tags: Record<string, string> };
    const send = (requests: TaggedRequest[]): K6Response[] => {
      for (const r of requests) this.httpCalls.push({ method: r.method, url: r.url });
      const answers = this.http.batch(requests.map(({ tags: _, ...r }) => r));
      return answers.map((answer, i) => {
        const tags = { method: requests[i]!.method, status: String(answer.status), scenario: this.state.scenario, ...requests[i]!.tags };
        this.metrics.add("http_reqs", 1, tags);
        this.metrics.add("http_req_duration", answer.durationMs, tags);
        this.metrics.add("http_req_failed", this.expected(answer.status) ? 0 : 1, tags);
        return toK6Response(answer);
      });
    };
    const request = (method: string, url: unknown, body: unknown, params: unknown): TaggedRequest => {
      const { headers = {}, tags = {} } = (params ?? {}) as { headers?: Record<string, string>; tags?: Record<string, string> };
      if (body !== null && body !== undefined && typeof body !== "string") throw new Error(`k6 stand-in: ${method} ${String(url)} with a non-string body`);
      return { method, url: String(url), headers, body: (body as string | null | undefined) ?? null, tags };
    };
    const one = (req: TaggedRequest): K6Response => send([req])[0]!;
    const http = {
      get: (url: unknown, params?: unknown) => one(request("GET", url, null, params)),
      head: (url: unknown, params?: unknown) => one(request("HEAD", url, null, params)),
      post: (url: unknown, body?: unknown, params?: unknown) => one(request("POST", url, body, params)),
      put: (url: unknown, body?: unknown, params?: unknown) => one(request("PUT", url, body, params)),
      patch: (url: unknown, body?: unknown, params?: unknown) => one(request("PATCH", url, body, params)),
      del: (url: unknown, body?: unknown, params?: unknown) => one(request("DELETE", url, body, params)),
      options: (url: unknown, body?: unknown, params?: unknown) => one(request("OPTIONS", url, body, params)),
      request: (method: string, url: unknown, body?: unknown, params?: unknown) => one(request(method, url, body, params)),
      batch: (requests: unknown[]) => send(requests.map((r) => {
        if (typeof r === "string") return request("GET", r, null, undefined);
        if (Array.isArray(r)) return request(String(r[0]), r[1], r[2], r[3]);
        const spec = r as { method?: string; url?: string; body?: unknown; params?: unknown };
        return request(spec.method ?? "GET", spec.url, spec.body, spec.params);
      })),
      expectedStatuses: (...statuses: Array<number | { min: number; max: number }>) => (status: number) =>
        statuses.some((s) => (typeof s === "number" ? s === status : status >= s.min && status <= s.max)),
      setResponseCallback: (callback: (status: number) => boolean) => { this.expected = callback; },
    };
    const metric = (type: MetricType) => class {
      constructor(readonly name: string) {
        script.metrics.declare(name, type);
        if (vu === 0) script.customMetrics.push(name);
      }
      add(value: number | boolean, tags?: Record<string, string>): void {
        script.metrics.add(this.name, Number(value), tags);
      }
    };
    const check = (value: unknown, sets: Record<string, unknown>): boolean => {
      let all = true;
      for (const [name, predicate] of Object.entries(sets)) {
        const ok = Boolean(typeof predicate === "function" ? (predicate as (v: unknown) => unknown)(value) : predicate);
        this.metrics.add("checks", ok ? 1 : 0, { check: name });
        const count = this.checks.get(name) ?? { passes: 0, fails: 0 };
        if (ok) count.passes += 1;
        else count.fails += 1;
        this.checks.set(name, count);
        all &&= ok;
      }
      return all;
    };
    const state = this.state;
    return {
      k6: { check, group: (_: string, fn: () => unknown) => fn(), sleep: () => undefined, fail: (m: string) => { throw new Error(m); } },
      "k6/http": { __esModule: true, default: http, ...http },
      "k6/metrics": { Counter: metric("counter"), Gauge: metric("gauge"), Rate: metric("rate"), Trend: metric("trend") },
      "k6/execution": {
        __esModule: true,
        default: {
          scenario: {
            get name() { return state.scenario; },
            get iterationInTest() { return state.iterationInTest; },
            get startTime() { return state.scenarioStartMs; },
          },
          vu: { idInTest: vu, get iterationInScenario() { return iteration(); } },
          test: { abort: (m?: string) => { throw new Error(`test.abort(${m ?? ""})`); }, fail: () => undefined },
        },
      },
      "k6/data": { SharedArray: class { constructor(_: string, fn: () => unknown[]) { return fn(); } } },
    };
  }
}

export interface K6Instance {
  vu: number;
  exports: Record<string, unknown>;
  setIteration(iteration: number): void;
}

interface K6Response {
  status: number;
  headers: Record<string, string>;
  body: string;
  error: string;
  timings: { duration: number };
  json(selector?: string): unknown;
}

function toK6Response(r: SyncResponse): K6Response {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(r.headers)) headers[canonicalHeaderName(name)] = value;
  return { status: r.status, headers, body: r.body, error: r.error ?? "", timings: { duration: r.durationMs }, json: (selector) => selectJson(r.body, selector) };
}

/** The script's setup instance (`__VU` 0), HTTP to the recorder unless given: for options, setup and teardown. */
export function loadScript(path: string, env: Record<string, string> = {}): { exports: Record<string, unknown>; customMetrics: string[]; httpCalls: HttpCall[] } {
  const script = new K6Script(path, { env });
  const instance = script.instantiate(0);
  return { exports: instance.exports, customMetrics: script.customMetrics, httpCalls: script.httpCalls };
}


/** k6's built-in metric names that thresholds may use. */
export const BUILTIN_METRICS = [
  "checks", "data_received", "data_sent", "http_req_blocked", "http_req_connecting", "http_req_duration", "http_req_failed",
  "http_req_receiving", "http_req_sending", "http_req_tls_handshaking", "http_req_waiting", "http_reqs", "iteration_duration",
  "iterations", "vus", "vus_max", "dropped_iterations",
];
