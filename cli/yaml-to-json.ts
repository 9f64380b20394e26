// Turns YAML text into the JSON value it spells, refusing what JSON cannot hold (.inf, .nan, binary,
// collection keys) with the line and column of the offending node, so the core validates exactly
// what the author wrote.
import { LineCounter, isAlias, isMap, isScalar, isSeq, parseAllDocuments } from "yaml";
import type { Document, Node as YamlNode, YAMLError } from "yaml";
import { sourceExcerpt } from "./source-excerpt";
import { itemPath, memberPath, displayPath, memberOf, setMember } from "./json-value";
import type { JsonObject, JsonValue } from "./json-value";

/** The core refuses deeper JSON (shared/src/json.ts MAX_JSON_DEPTH); YAML gets the same bound. */
const MAX_DEPTH = 64;
/** Aliases can expand a small file into a huge value ("billion laughs"); policies are small. */
const MAX_VALUES = 20000;

export interface YamlConversion {
  value: JsonValue | null;
  errors: string[];
}

export function yamlToJson(text: string): YamlConversion {
  const lineCounter = new LineCounter();
  const documents = parseAllDocuments(text, { lineCounter, uniqueKeys: true, prettyErrors: true });
  if (!Array.isArray(documents) || documents.length === 0) {
    return { value: null, errors: ["$: expected object, got nothing (the YAML file is empty)"] };
  }
  if (documents.length > 1) {
    return { value: null, errors: [`$: expected one YAML document, got ${documents.length}`] };
  }
  const document = documents[0];
  if (document.errors.length > 0) return { value: null, errors: [syntaxError(text, document.errors[0])] };
  const walker = new Walker(document, lineCounter);
  const value = walker.convert(document.contents, "", 0);
  return walker.errors.length > 0 ? { value: null, errors: walker.errors } : { value, errors: [] };
}

/**
 * One syntax error is enough: the parser's later errors mostly follow from the first (one wrong indent gave four).
 * yaml's pretty message is "<what> at line L, column C:" and its own excerpt; ours puts the position the way JSON
 * syntax errors have it and the excerpt on the next lines.
 */
function syntaxError(text: string, error: YAMLError): string {
  const what = (error.message.split("\n")[0] ?? "").replace(/:$/, "").replace(/ at line \d+, column \d+$/, "");
  const position = error.linePos?.[0];
  if (!position) return `$: invalid YAML: ${what}`;
  return `$: invalid YAML: ${what} (line ${position.line}, column ${position.col})\n${sourceExcerpt(text, position.line, position.col)}`;
}

class Walker {
  readonly errors: string[] = [];
  private values = 0;

  constructor(private readonly document: Document, private readonly lines: LineCounter) {}

  convert(node: unknown, path: string, depth: number): JsonValue {
    if (node === null || node === undefined) return null;
    if (++this.values > MAX_VALUES) {
      if (this.values === MAX_VALUES + 1) this.errors.push(`$: expected at most ${MAX_VALUES} values, got more (after expanding YAML aliases)`);
      return null;
    }
    if (depth > MAX_DEPTH) {
      this.fail(path, `expected at most ${MAX_DEPTH} levels of nesting`, node);
      return null;
    }
    if (isAlias(node)) return this.convert(node.resolve(this.document), path, depth + 1);
    if (isScalar(node)) return this.scalar(node.value, path, node);
    if (isSeq(node)) return node.items.map((item, index) => this.convert(item, itemPath(path, index), depth + 1));
    if (isMap(node)) {
      const out: JsonObject = {};
      for (const pair of node.items) {
        const key = this.key(pair.key, path);
        if (key === null) continue;
        const childPath = memberPath(path, key);
        if (memberOf(out, key) !== undefined) {
          this.fail(childPath, "duplicate field", pair.key);
          continue;
        }
        setMember(out, key, this.convert(pair.value, childPath, depth + 1));
      }
      return out;
    }
    this.fail(path, "expected a JSON value", node);
    return null;
  }

  private scalar(value: unknown, path: string, node: YamlNode): JsonValue {
    if (value === null || typeof value === "boolean" || typeof value === "string") return value;
    if (typeof value === "number") {
      if (Number.isFinite(value)) return value;
      this.fail(path, `expected a finite number, got ${Number.isNaN(value) ? ".nan" : value > 0 ? ".inf" : "-.inf"}`, node);
      return null;
    }
    this.fail(path, `expected a JSON scalar, got ${describeTag(node)}`, node);
    return null;
  }

  private key(node: unknown, parent: string): string | null {
    const resolved = isAlias(node) ? node.resolve(this.document) : node;
    if (isScalar(resolved)) {
      const value = resolved.value;
      if (typeof value === "string") return value;
      if (typeof value === "number" || typeof value === "boolean" || value === null) return String(value);
    }
    this.fail(parent, "expected mapping keys to be strings, got a collection or tagged key", resolved);
    return null;
  }

  private fail(path: string, message: string, node: unknown): void {
    this.errors.push(`${displayPath(path)}: ${message}${this.where(node)}`);
  }

  private where(node: unknown): string {
    const range = hasRange(node) ? node.range : undefined;
    if (!range) return "";
    const position = this.lines.linePos(range[0]);
    return ` (line ${position.line}, column ${position.col})`;
  }
}

function hasRange(node: unknown): node is { range: [number, number, number] | null | undefined } {
  return typeof node === "object" && node !== null && "range" in node;
}

function describeTag(node: YamlNode): string {
  return node.tag ? `a value tagged ${node.tag.replace(/^tag:yaml\.org,2002:/, "!!")}` : "a value JSON cannot hold";
}
