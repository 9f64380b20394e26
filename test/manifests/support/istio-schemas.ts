// Validates Istio objects against the OpenAPI schemas of Istio's CRDs, as compiled by
// @kubernetes-models/istio (generated from istio/istio's crd-all.gen.yaml). Loaded from the
// project's node_modules, or from MESHGATE_ISTIO_MODELS_DIR (a node_modules directory) to try a
// version without installing it into the project.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { repoRoot } from "../../cli/support/cli";

const PACKAGE = "@kubernetes-models/istio";

/** Istio serves the v1 and v1beta1 networking APIs from one schema; older model packages only ship v1beta1. */
const SAME_SCHEMA_AS: Record<string, string> = { "networking.istio.io/v1": "networking.istio.io/v1beta1" };

type ModelClass = new (data: unknown) => { validate(): void };

function packageDir(): string {
  const base = process.env.MESHGATE_ISTIO_MODELS_DIR ?? join(repoRoot, "node_modules");
  const dir = join(base, PACKAGE);
  if (!existsSync(join(dir, "package.json"))) {
    throw new Error(`${PACKAGE} is not installed (looked in ${base}); it is a devDependency of the manifest tests`);
  }
  return dir;
}

function modelFile(apiVersion: string, kind: string): string | null {
  const dir = packageDir();
  for (const extension of [".mjs", ".js"]) {
    const file = join(dir, apiVersion, `${kind}${extension}`);
    if (existsSync(file)) return file;
  }
  return null;
}

const models = new Map<string, Promise<{ model: ModelClass; apiVersion: string }>>();

async function loadModel(apiVersion: string, kind: string): Promise<{ model: ModelClass; apiVersion: string }> {
  let servedAs = apiVersion;
  let file = modelFile(apiVersion, kind);
  if (file === null && SAME_SCHEMA_AS[apiVersion]) {
    servedAs = SAME_SCHEMA_AS[apiVersion];
    file = modelFile(servedAs, kind);
  }
  if (file === null) throw new Error(`no schema for ${apiVersion} ${kind} in ${PACKAGE}`);
  const module = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  const model = module[kind];
  if (typeof model !== "function") throw new Error(`${file} does not export ${kind}`);
  return { model: model as ModelClass, apiVersion: servedAs };
}

/** Schema errors of one object (empty when valid). */
export async function istioSchemaErrors(object: Record<string, unknown>): Promise<string[]> {
  const apiVersion = String(object.apiVersion);
  const kind = String(object.kind);
  const key = `${apiVersion} ${kind}`;
  if (!models.has(key)) models.set(key, loadModel(apiVersion, kind));
  const { model, apiVersion: servedAs } = await (models.get(key) as Promise<{ model: ModelClass; apiVersion: string }>);
  try {
    new model({ ...object, apiVersion: servedAs }).validate();
    return [];
  } catch (error) {
    return [error instanceof Error ? error.message : String(error)];
  }
}

export const ISTIO_GROUPS = new Set(["networking.istio.io", "extensions.istio.io", "security.istio.io", "telemetry.istio.io"]);
