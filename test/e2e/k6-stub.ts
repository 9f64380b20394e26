// Loads a k6 script in Node without k6: its imports are read from the syntax tree, and the module is evaluated
// (transpiled to CommonJS) against recording stand-ins for k6's modules, so a test can inspect `options`, call
// handleSummary(), or see which HTTP calls setup()/teardown() would make. Nothing here talks to the network.
import { readFileSync } from "node:fs";
import ts from "typescript";

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

export interface LoadedScript {
  exports: Record<string, unknown>;
  /** Names given to `new Counter/Gauge/Rate/Trend(name)`. */
  customMetrics: string[];
  httpCalls: HttpCall[];
}

interface StubResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  timings: { duration: number };
  json(selector?: string): unknown;
}

function stubResponse(): StubResponse {
  return {
    status: 200,
    headers: {},
    body: "{}",
    timings: { duration: 1 },
    json: (selector?: string) => (selector === "access_token" ? "stub-token" : selector === undefined ? {} : 0),
  };
}

/** Evaluates the script's module body with `__ENV` and stand-ins for the k6 modules. */
export function loadScript(path: string, env: Record<string, string> = {}): LoadedScript {
  const customMetrics: string[] = [];
  const httpCalls: HttpCall[] = [];
  const request = (method: string) => (url: unknown): StubResponse => {
    httpCalls.push({ method, url: String(url) });
    return stubResponse();
  };
  class Metric {
    constructor(readonly name: string) {
      customMetrics.push(name);
    }
    add(): void {}
  }
  const http = {
    get: request("GET"), post: request("POST"), put: request("PUT"), patch: request("PATCH"),
    del: request("DELETE"), head: request("HEAD"), options: request("OPTIONS"),
    request: (method: string, url: unknown) => request(method)(url),
    batch: (requests: unknown[]) => requests.map((r) => {
      const spec = r as { method?: string; url?: string };
      return request(spec.method ?? "GET")(spec.url);
    }),
    expectedStatuses: (...statuses: unknown[]) => ({ statuses }),
    setResponseCallback: () => undefined,
  };
  const modules: Record<string, unknown> = {
    k6: { check: () => true, group: (_: string, fn: () => unknown) => fn(), sleep: () => undefined, fail: (m: string) => { throw new Error(m); } },
    "k6/http": { __esModule: true, default: http, ...http },
    "k6/metrics": { Counter: Metric, Gauge: Metric, Rate: Metric, Trend: Metric },
    "k6/execution": {
      __esModule: true,
      default: {
        scenario: { name: "stub", iterationInTest: 0, startTime: Date.now() },
        vu: { idInTest: 1, iterationInScenario: 0 },
        test: { abort: () => undefined, fail: () => undefined },
      },
    },
    "k6/data": { SharedArray: class { constructor(_: string, fn: () => unknown[]) { return fn(); } } },
  };
  const requireStub = (specifier: string): unknown => {
    if (!(specifier in modules)) throw new Error(`${path} imports '${specifier}', which is not a k6 module`);
    return modules[specifier];
  };
  const { outputText } = ts.transpileModule(readFileSync(path, "utf8"), {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2020, allowJs: true, esModuleInterop: true },
    fileName: path,
  });
  const module = { exports: {} as Record<string, unknown> };
  const evaluate = new Function("require", "module", "exports", "__ENV", outputText) as
    (r: typeof requireStub, m: typeof module, e: Record<string, unknown>, env: Record<string, string>) => void;
  evaluate(requireStub, module, module.exports, env);
  return { exports: module.exports, customMetrics, httpCalls };
}

/** k6's threshold grammar: `aggregation operator number` (metrics/thresholds_parser.go). */
export const THRESHOLD_EXPRESSION = /^(avg|min|max|med|count|rate|value|p\(\d+(\.\d+)?\))\s*(<|<=|>|>=|==|===|!=)\s*-?\d+(\.\d+)?$/;

/** k6's built-in metric names that thresholds may use. */
export const BUILTIN_METRICS = [
  "checks", "data_received", "data_sent", "http_req_blocked", "http_req_connecting", "http_req_duration", "http_req_failed",
  "http_req_receiving", "http_req_sending", "http_req_tls_handshaking", "http_req_waiting", "http_reqs", "iteration_duration",
  "iterations", "vus", "vus_max", "dropped_iterations",
];
