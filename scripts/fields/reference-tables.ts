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
  // A list section (`routes`) lists its own row and its items'.
  const rows = POLICY_FIELDS.filter((field) => field.path.startsWith(`${path}.`) || field.path.startsWith(`${path}[]`)
    || (field.path === path && field.type === "array"));
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
    lines.push(row([
      `\`${cellName(path, field)}\`${field.variant ? ` (${field.variant})` : ""}`,
      field.typeLabel ?? typeCell(field),
      defaultCell(field),
      `\`${field.phrase}\`${field.phraseNote ?? ""}${sameAsNote(field)}`,
      field.description,
      ...(withPlane ? [field.planes === "kong" ? "Kong" : field.planes === "envoy" ? "Envoy" : "both"] : []),
    ]));
  }
  return `${lines.join("\n")}\n`;
}

/** Relative to the block (`preAuthIp.rate`); the items of a list section in full (`routes[i].name`); a map's
 *  values as `claims.<name>`. */
function cellName(block: string, field: PolicyField): string {
  const rest = field.path.slice(block.length);
  const name = rest.startsWith(".") ? rest.slice(1) : `${block}${rest}`;
  return name.replaceAll("[]", "[i]").replace(/\.\*$/, ".<name>");
}

function typeCell(field: PolicyField): string {
  if (field.type === "map") return "object";
  if (field.type === "scalarOrList") return "scalar or array";
  return field.type;
}

function sameAsNote(field: PolicyField): string {
  if (field.sameAs === undefined) return "";
  const except = (field.except ?? []).map((name) => `\`${name}\``).join(", ");
  return `; members as \`${field.sameAs}\`${except ? `, without ${except}` : ""}`;
}

function defaultCell(field: PolicyField): string {
  if (field.sameAs !== undefined) return `top-level \`${field.sameAs}\``;
  if (field.inherits !== undefined) return `top-level \`${field.inherits}\``;
  if (field.required === "always") return "— (required)";
  if (field.required === "whenEnabled") return `— (required when enabled${field.orInstead ? `, unless \`${field.orInstead}\` is given` : ""})`;
  if (field.default !== undefined) return `\`${JSON.stringify(field.default)}\``;
  return field.path.endsWith("[]") || field.path.endsWith(".*") ? "—" : "none";
}

function row(cells: string[]): string {
  return `| ${cells.map((cell) => cell.replaceAll("|", "\\|")).join(" | ")} |`;
}
