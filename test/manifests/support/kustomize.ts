// A small kustomize build for the features istio-manifests uses: `resources` (files and directories
// with their own kustomization) and `patches` (strategic-merge patches found by the patch's own
// apiVersion/kind/name, and JSON 6902 patches with a `target`). Anything else in a kustomization is an
// error, so the emulation never silently ignores what real kustomize would do.
import { existsSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseAllDocuments } from "yaml";

export type K8sObject = Record<string, unknown>;

export interface Build {
  objects: K8sObject[];
  /** Every file the build read (kustomizations, resources, patches), absolute. */
  files: string[];
}

const KUSTOMIZATION_FIELDS = new Set(["apiVersion", "kind", "resources", "patches"]);

export function kustomizationFile(dir: string): string | null {
  for (const name of ["kustomization.yaml", "kustomization.yml", "Kustomization"]) if (existsSync(join(dir, name))) return join(dir, name);
  return null;
}

export function kustomizeBuild(dir: string): Build {
  const file = kustomizationFile(dir);
  if (file === null) throw new Error(`${dir}: no kustomization.yaml`);
  const kustomization = loadYaml(file)[0];
  if (!isObject(kustomization)) throw new Error(`${file}: not a mapping`);
  for (const key of Object.keys(kustomization)) {
    if (!KUSTOMIZATION_FIELDS.has(key)) throw new Error(`${file}: field ${key} is not supported by this emulation`);
  }
  const files = [file];
  const objects: K8sObject[] = [];
  for (const entry of asArray(kustomization.resources ?? [], `${file}: resources`)) {
    const path = resolve(dir, String(entry));
    if (!existsSync(path)) throw new Error(`${file}: resource ${String(entry)} does not exist`);
    if (statSync(path).isDirectory()) {
      const nested = kustomizeBuild(path);
      objects.push(...nested.objects);
      files.push(...nested.files);
    } else {
      objects.push(...loadYaml(path).map((doc) => asObject(doc, path)));
      files.push(path);
    }
  }
  const ids = objects.map(idOf);
  const duplicate = ids.find((id, index) => ids.indexOf(id) !== index);
  if (duplicate) throw new Error(`${file}: resource ${duplicate} appears twice`);
  for (const entry of asArray(kustomization.patches ?? [], `${file}: patches`)) {
    const patch = asObject(entry, `${file}: patch`);
    let content: unknown;
    if (typeof patch.path === "string") {
      const path = resolve(dir, patch.path);
      if (!existsSync(path)) throw new Error(`${file}: patch ${patch.path} does not exist`);
      files.push(path);
      content = loadYaml(path)[0];
    } else if (typeof patch.patch === "string") {
      content = parseAllDocuments(patch.patch)[0]?.toJS();
    } else {
      throw new Error(`${file}: a patch needs path or patch`);
    }
    if (Array.isArray(content)) applyJson6902(objects, content, patch.target, file);
    else applyStrategicMerge(objects, asObject(content, `${file}: patch`), file);
  }
  return { objects, files };
}

function applyJson6902(objects: K8sObject[], operations: unknown[], target: unknown, file: string): void {
  if (!isObject(target)) throw new Error(`${file}: a JSON 6902 patch needs a target`);
  const matches = objects.filter((object) => matchesTarget(object, target));
  if (matches.length === 0) throw new Error(`${file}: patch target ${JSON.stringify(target)} matches nothing`);
  for (const object of matches) {
    for (const operation of operations) applyOperation(object, asObject(operation, `${file}: operation`), file);
  }
}

function matchesTarget(object: K8sObject, target: Record<string, unknown>): boolean {
  const [group, version] = String(object.apiVersion).includes("/") ? String(object.apiVersion).split("/") : ["", String(object.apiVersion)];
  const metadata = isObject(object.metadata) ? object.metadata : {};
  const checks: Array<[unknown, unknown]> = [[target.group, group], [target.version, version], [target.kind, object.kind], [target.name, metadata.name], [target.namespace, metadata.namespace]];
  return checks.every(([wanted, actual]) => wanted === undefined || wanted === actual);
}

function applyOperation(object: K8sObject, operation: Record<string, unknown>, file: string): void {
  const pointer = String(operation.path);
  const segments = pointer.split("/").slice(1).map((segment) => segment.replace(/~1/g, "/").replace(/~0/g, "~"));
  const last = segments.pop();
  if (last === undefined) throw new Error(`${file}: empty JSON pointer`);
  let parent: unknown = object;
  for (const segment of segments) {
    parent = Array.isArray(parent) ? parent[Number(segment)] : isObject(parent) ? parent[segment] : undefined;
    if (parent === undefined) throw new Error(`${file}: ${pointer}: no such path in ${idOf(object)}`);
  }
  const exists = Array.isArray(parent) ? Number(last) < parent.length : isObject(parent) && last in parent;
  switch (operation.op) {
    case "add":
      if (Array.isArray(parent)) parent.splice(last === "-" ? parent.length : Number(last), 0, operation.value);
      else if (isObject(parent)) parent[last] = operation.value;
      return;
    case "replace":
      if (!exists) throw new Error(`${file}: replace ${pointer}: nothing there in ${idOf(object)}`);
      (parent as Record<string, unknown>)[last] = operation.value;
      return;
    case "remove":
      if (!exists) throw new Error(`${file}: remove ${pointer}: nothing there in ${idOf(object)}`);
      if (Array.isArray(parent)) parent.splice(Number(last), 1);
      else delete (parent as Record<string, unknown>)[last];
      return;
    default:
      throw new Error(`${file}: JSON 6902 op ${String(operation.op)} is not supported by this emulation`);
  }
}

/** Kustomize merges lists of custom resources by replacing them whole, unlike built-in kinds: a
 *  strategic-merge patch here must only touch maps and scalars. */
function applyStrategicMerge(objects: K8sObject[], patch: K8sObject, file: string): void {
  const id = idOf(patch);
  const target = objects.find((object) => idOf(object) === id);
  if (!target) throw new Error(`${file}: strategic-merge patch for ${id} matches no resource`);
  mergeInto(target, patch, "", file);
}

function mergeInto(target: Record<string, unknown>, patch: Record<string, unknown>, path: string, file: string): void {
  for (const [key, value] of Object.entries(patch)) {
    const here = `${path}/${key}`;
    if (Array.isArray(value)) throw new Error(`${file}: strategic-merge patch holds a list at ${here}; use a JSON 6902 patch`);
    if (value === null) delete target[key];
    else if (isObject(value) && isObject(target[key])) mergeInto(target[key] as Record<string, unknown>, value, here, file);
    else target[key] = structuredClone(value);
  }
}

export function idOf(object: K8sObject): string {
  const metadata = isObject(object.metadata) ? object.metadata : {};
  return `${String(object.apiVersion).split("/")[0]}/${String(object.kind)} ${String(metadata.namespace ?? "")}/${String(metadata.name)}`;
}

export function loadYaml(path: string): unknown[] {
  return parseAllDocuments(readFileSync(path, "utf8")).map((document) => {
    if (document.errors.length > 0) throw new Error(`${path}: ${document.errors[0].message}`);
    return document.toJS() as unknown;
  }).filter((doc) => doc !== null);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function asObject(value: unknown, where: string): Record<string, unknown> {
  if (!isObject(value)) throw new Error(`${where}: expected a mapping`);
  return value;
}

function asArray(value: unknown, where: string): unknown[] {
  if (!Array.isArray(value)) throw new Error(`${where}: expected a list`);
  return value;
}
