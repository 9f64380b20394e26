// Reads a policy file (or standard input for "-") and decides whether it is JSON or YAML.
import { readFileSync, statSync } from "node:fs";
import { basename, extname } from "node:path";

export type PolicyFormat = "json" | "yaml";

export interface PolicySource {
  /** File name shown in messages and generated comments (base name only: output must not depend on the cwd). */
  name: string;
  format: PolicyFormat;
  text: string;
}

/** A policy is a few kilobytes; anything this large is a mistake, refused before parsing. */
const MAX_POLICY_BYTES = 1024 * 1024;

export class UnreadablePolicy extends Error {}

export function loadPolicySource(path: string, readStdin: () => Buffer = () => readFileSync(0)): PolicySource {
  const bytes = path === "-" ? readStdin() : readFile(path);
  if (bytes.length > MAX_POLICY_BYTES) {
    throw new UnreadablePolicy(`${path}: the policy is larger than ${MAX_POLICY_BYTES} bytes`);
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new UnreadablePolicy(`${path}: not UTF-8 text`);
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const name = path === "-" ? "<stdin>" : basename(path);
  return { name, format: formatOf(path, text), text };
}

function readFile(path: string): Buffer {
  try {
    if (statSync(path).size > MAX_POLICY_BYTES) {
      throw new UnreadablePolicy(`${path}: the policy is larger than ${MAX_POLICY_BYTES} bytes`);
    }
    return readFileSync(path);
  } catch (error) {
    if (error instanceof UnreadablePolicy) throw error;
    const code = typeof error === "object" && error !== null && "code" in error ? String(error.code) : "";
    const reason = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory" : code === "EACCES" ? "permission denied" : "cannot be read";
    throw new UnreadablePolicy(`${path}: ${reason}`);
  }
}

/** By extension; without a known one (stdin included), JSON when the text starts like a JSON object. */
function formatOf(path: string, text: string): PolicyFormat {
  const extension = extname(path).toLowerCase();
  if (extension === ".json") return "json";
  if (extension === ".yaml" || extension === ".yml") return "yaml";
  return /^\s*[{[]\s*("|}|]|$)/.test(text) ? "json" : "yaml";
}
