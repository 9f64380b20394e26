// Descriptions from the field table are Markdown (the reference renders them); Kong and editors show plain text.

/** `[Secrets](#secrets)` → `Secrets`; `**A secret**` → `A secret`. Backticks stay: they read fine as text. */
export function plainDescription(markdown: string): string {
  return markdown.replace(/\[([^\]]+)\]\([^)]*\)/g, "$1").replace(/\*\*([^*]+)\*\*/g, "$1");
}
