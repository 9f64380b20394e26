// Policy helpers for tests: the effective policy (the CLI's `normalize`, i.e. the core's policyToJson)
// and what Kong hands the plugin for a rendered config.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { checkKongConfig } from "../../../cli/kong-schema";
import { meshgateKongSchema } from "../../../cli/kong-config";
import type { JsonObject } from "../../../cli/json-value";
import { policyDocumentFromKongConfig } from "../../../kong-plugins/src/kong-config";
import { repoRoot, runCli } from "./cli";

export async function effectivePolicy(document: unknown): Promise<unknown> {
  const result = await runCli(["normalize", "-"], { stdin: JSON.stringify(document) });
  if (result.code !== 0) throw new Error(`not a valid policy:\n${result.stderr}`);
  return JSON.parse(result.stdout) as unknown;
}

export async function coreErrors(document: unknown): Promise<string[]> {
  const result = await runCli(["validate", "-"], { stdin: JSON.stringify(document) });
  return result.code === 0 ? [] : result.stderr.split("\n").filter(Boolean);
}

export function readPolicy(path: string): unknown {
  return parse(readFileSync(join(repoRoot, path), "utf8")) as unknown;
}

/** Kong's side of a plugin config: its schema fills defaults and nulls, then the plugin's adapter
 *  turns that back into a policy document (kong-plugins/src/kong-config.ts). */
export function throughKong(config: unknown): { errors: string[]; document: unknown } {
  const checked = checkKongConfig(meshgateKongSchema, config as JsonObject);
  return { errors: checked.errors, document: policyDocumentFromKongConfig(JSON.parse(JSON.stringify(checked.config)) as Record<string, unknown>) };
}
