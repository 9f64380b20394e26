// Serialises rendered documents: YAML (a multi-document stream, each with its header comment) or JSON
// (one pretty object per document, a stream jq and kubectl read). Objects are built in a fixed key
// order, so the same policy always gives byte-identical output. Scalars are quoted wherever a YAML 1.1
// reader (kubectl, many GitOps tools) would read them differently ("on", "0755", "12:30").
import { Document, Scalar, isScalar, parse, visit } from "yaml";
import type { JsonObject } from "./json-value";

export type OutputFormat = "yaml" | "json";

export interface RenderedDocument {
  /** Lines of the header comment (YAML only). */
  comment: string[];
  value: JsonObject;
}

export function formatDocuments(documents: RenderedDocument[], format: OutputFormat): string {
  if (format === "json") return documents.map((document) => `${JSON.stringify(document.value, null, 2)}\n`).join("");
  return documents.map((document, index) => {
    const yaml = new Document(document.value, { aliasDuplicateObjects: false, version: "1.1" });
    quoteAmbiguousStrings(yaml);
    if (document.comment.length > 0) yaml.commentBefore = document.comment.map((line) => (line ? ` ${line}` : "")).join("\n");
    const text = yaml.toString({ lineWidth: 0, minContentWidth: 0 });
    return index === 0 ? text : `---\n${text}`;
  }).join("");
}

/** The 1.1 emitter already quotes what a 1.1 reader would misread; this adds what only YAML 1.2 reads
 *  differently (`0o17` is an octal number there). */
function quoteAmbiguousStrings(document: Document): void {
  visit(document, {
    Scalar(_key, node) {
      if (typeof node.value === "string" && isScalar(node) && !readsBackAsString(node.value)) node.type = Scalar.QUOTE_DOUBLE;
    },
  });
}

function readsBackAsString(text: string): boolean {
  try {
    return parse(text, { version: "1.2" }) === text && parse(text, { version: "1.1" }) === text;
  } catch {
    return false;
  }
}
