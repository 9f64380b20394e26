// The syntax the oldest supported k6 (v0.48) compiles. Up to v0.52, k6 hands every ES-module script to Babel 6.26
// (grafana/k6 js/compiler/compiler.go: only transform-es2015-modules-commonjs, no syntax plugins), whose parser
// knows ECMAScript 2017 and nothing later, then runs the result on goja. So: a parse at ECMAScript 2017 catches
// everything; the named bans before it say what the construct is and where k6 tracked it.
import { type Node, parse } from "acorn";
import { full } from "acorn-walk";

export const OLDEST_K6 = "v0.48.0";
const OLD_K6_ECMA_VERSION = 2017;

interface Ban {
  what: string;
  matches(node: Node & Record<string, unknown>): boolean;
}

const isType = (type: string) => (node: Node): boolean => node.type === type;

const isAsyncFunction = (node: unknown): boolean => {
  const n = node as { type?: string; async?: boolean } | null;
  return n !== null && (n.type === "ArrowFunctionExpression" || n.type === "FunctionExpression") && n.async === true;
};

const BANS: Ban[] = [
  // Not syntax, a k6 rule (v0.43 release notes): group() and check() refuse async functions at run time.
  {
    what: "async function passed to group() or check() (k6 refuses it)",
    matches: (n) => {
      if (n.type !== "CallExpression") return false;
      const callee = n["callee"] as { type: string; name?: string };
      const args = n["arguments"] as Array<{ type: string; properties?: Array<{ value?: unknown }> }>;
      if (callee.type !== "Identifier") return false;
      if (callee.name === "group") return args.some(isAsyncFunction);
      if (callee.name === "check") return args.some((a) => a.type === "ObjectExpression" && (a.properties ?? []).some((p) => isAsyncFunction(p.value)));
      return false;
    },
  },
  // acorn gives object and array spreads the same node type: look from the object literal.
  { what: "object spread `{ ...x }` (ES2018; grafana/k6#824)", matches: (n) => n.type === "ObjectExpression" && (n["properties"] as Node[]).some(isType("SpreadElement")) },
  { what: "object rest `{ a, ...rest }` (ES2018)", matches: (n) => n.type === "ObjectPattern" && (n["properties"] as Node[]).some(isType("RestElement")) },
  { what: "optional chaining `a?.b` (ES2020; grafana/k6#2168)", matches: isType("ChainExpression") },
  { what: "nullish coalescing `a ?? b` (ES2020)", matches: (n) => n.type === "LogicalExpression" && n["operator"] === "??" },
  { what: "logical assignment `??=` `||=` `&&=` (ES2021)", matches: (n) => n.type === "AssignmentExpression" && ["??=", "||=", "&&="].includes(String(n["operator"])) },
  { what: "class fields (ES2022; grafana/k6#2887)", matches: (n) => n.type === "PropertyDefinition" || n.type === "PrivateIdentifier" || n.type === "StaticBlock" },
  { what: "`catch` without a binding (ES2019)", matches: (n) => n.type === "CatchClause" && n["param"] === null },
  { what: "dynamic `import()` (ES2020)", matches: isType("ImportExpression") },
  { what: "`import.meta` (ES2020)", matches: (n) => n.type === "MetaProperty" && (n["meta"] as { name?: string }).name === "import" },
  { what: "BigInt literal (ES2020)", matches: (n) => n.type === "Literal" && n["bigint"] !== undefined },
  { what: "`for await` (ES2018)", matches: (n) => n.type === "ForOfStatement" && n["await"] === true },
  { what: "async generator (ES2018)", matches: (n) => (n.type === "FunctionDeclaration" || n.type === "FunctionExpression") && n["async"] === true && n["generator"] === true },
];

export interface SyntaxProblem {
  line: number;
  column: number;
  what: string;
}

function lineColumn(source: string, offset: number): { line: number; column: number } {
  const before = source.slice(0, offset).split("\n");
  return { line: before.length, column: before.at(-1)!.length };
}

/** Every construct of `source` that k6 v0.48 cannot compile; empty when it compiles. */
export function oldK6SyntaxProblems(source: string): SyntaxProblem[] {
  let program: Node;
  try {
    program = parse(source, { ecmaVersion: "latest", sourceType: "module" });
  } catch (err) {
    return [{ line: 0, column: 0, what: `not JavaScript at all: ${(err as Error).message}` }];
  }
  const problems: SyntaxProblem[] = [];
  full(program, (node) => {
    const ban = BANS.find((b) => b.matches(node as Node & Record<string, unknown>));
    if (ban) problems.push({ ...lineColumn(source, node.start), what: ban.what });
  });
  if (problems.length > 0) return problems;
  try {
    parse(source, { ecmaVersion: OLD_K6_ECMA_VERSION, sourceType: "module" });
  } catch (err) {
    const { loc, message } = err as SyntaxError & { loc?: { line: number; column: number } };
    problems.push({ line: loc?.line ?? 0, column: loc?.column ?? 0, what: `syntax newer than ECMAScript ${OLD_K6_ECMA_VERSION}: ${message}` });
  }
  return problems;
}

/** Throws naming each construct and its line when k6 v0.48 would refuse the script. */
export function assertOldK6Syntax(source: string, file: string): void {
  const problems = oldK6SyntaxProblems(source);
  if (problems.length === 0) return;
  const list = problems.map((p) => `  ${file}:${p.line}:${p.column + 1} ${p.what}`).join("\n");
  throw new SyntaxError(`k6 ${OLDEST_K6} cannot compile ${file} (its Babel 6 parser stops at ECMAScript ${OLD_K6_ECMA_VERSION}):\n${list}`);
}
