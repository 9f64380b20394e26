// The line of a policy file a syntax error points at, with a caret under the column: what people look for first.

/** `line` and `column` count from 1. Two lines, each indented: `  4 | <source line>` and `    | <caret>`. */
export function sourceExcerpt(text: string, line: number, column: number): string {
  const source = text.split(/\r?\n/)[line - 1] ?? "";
  const number = String(line);
  const gutter = " ".repeat(number.length);
  // Keep tabs before the caret so it sits under the same character in a terminal.
  const lead = [...source.slice(0, Math.max(0, column - 1))].map((c) => (c === "\t" ? "\t" : " ")).join("");
  return `  ${number} | ${source}\n  ${gutter} | ${lead}^`;
}

/** 1-based line and column of a UTF-16 offset. */
export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, Math.min(offset, text.length));
  return { line: before.split("\n").length, column: offset - (before.lastIndexOf("\n") + 1) + 1 };
}
