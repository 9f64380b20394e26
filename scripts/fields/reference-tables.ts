// The field tables of shared/README.md, from the field table. Each sits between
// `<!-- fields: <path> -->` and `<!-- /fields -->`; the prose around them is written by hand.
import { POLICY_FIELDS } from "../../shared/src/policy-fields";
import type { PolicyField } from "../../shared/src/policy-fields";

export const REFERENCE_PATH = "shared/README.md";

const BLOCK = /<!-- fields: (\S+) -->\n[\s\S]*?<!-- \/fields -->/g;

/** `readme` with every fields block rendered anew; throws on a block naming no rows. */
export function renderReferenceTables(readme: string): string {
  return readme.replace(BLOCK, (_match, path: string) => `<!-- fields: ${path} -->\n${table(path)}<!-- /fields -->`);
}

/** `auth`: every row under the section except the items of `auth.tokenSources[]` (their own table). */
function rowsUnder(path: string): PolicyField[] {
  const rows = POLICY_FIELDS.filter((field) => field.path.startsWith(`${path}.`));
  if (path.endsWith("[]")) return rows;
  return rows.filter((field) => !POLICY_FIELDS.some((other) => other.path.endsWith("[]") && field.path.startsWith(`${other.path}.`) && tableOwn(other)));
}

/** An array item that gets its own table (it has members with variants). */
function tableOwn(item: PolicyField): boolean {
  return POLICY_FIELDS.some((row) => row.variant !== undefined && row.path.startsWith(`${item.path}.`));
}

function table(path: string): string {
  const rows = rowsUnder(path);
  if (rows.length === 0) throw new Error(`${REFERENCE_PATH}: the fields block "${path}" names no rows of the field table`);
  const withPlane = !path.endsWith("[]");
  const head = ["Field", "Type", "Default", "Constraints (error phrase)", "Meaning", ...(withPlane ? ["Plane"] : [])];
  const lines = [row(head), `|${head.map(() => "---").join("|")}|`];
  for (const field of rows) {
    const name = field.path.slice(path.length + 1).replaceAll("[]", "[i]");
    lines.push(row([
      `\`${name}\`${field.variant ? ` (${field.variant})` : ""}`,
      field.typeLabel ?? field.type,
      defaultCell(field),
      `\`${field.phrase}\`${field.phraseNote ?? ""}`,
      field.description,
      ...(withPlane ? [field.planes === "kong" ? "Kong" : field.planes === "envoy" ? "Envoy" : "both"] : []),
    ]));
  }
  return `${lines.join("\n")}\n`;
}

function defaultCell(field: PolicyField): string {
  if (field.required === "always") return "— (required)";
  if (field.required === "whenEnabled") return "— (required when enabled)";
  if (field.default !== undefined) return `\`${JSON.stringify(field.default)}\``;
  return field.path.endsWith("[]") ? "—" : "none";
}

function row(cells: string[]): string {
  return `| ${cells.map((cell) => cell.replaceAll("|", "\\|")).join(" | ")} |`;
}
