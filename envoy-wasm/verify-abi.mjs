// Checks a compiled module against what Envoy links for proxy-wasm ABI 0.2.1 (abi-0.2.1.json): every import
// must be registered with exactly that signature (Envoy: "missing import" / "import type mismatch"), every known
// export must have the signature cpp-host looks up ("Bad function signature"), and the required exports exist.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const abi = JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), "abi-0.2.1.json"), "utf8"));

const VALUE_TYPES = { 0x7f: "i32", 0x7e: "i64", 0x7d: "f32", 0x7c: "f64", 0x7b: "v128", 0x70: "funcref", 0x6f: "externref" };
const KINDS = ["function", "table", "memory", "global", "tag"];

class Reader {
  constructor(bytes, start = 0, end = bytes.length) { this.bytes = bytes; this.at = start; this.end = end; }
  byte() {
    if (this.at >= this.end) throw new Error("truncated wasm module");
    return this.bytes[this.at++];
  }
  u32() {
    let result = 0, shift = 0, b;
    do { b = this.byte(); result |= (b & 0x7f) << shift; shift += 7; } while (b & 0x80 && shift < 35);
    return result >>> 0;
  }
  name() {
    const length = this.u32();
    if (this.at + length > this.end) throw new Error("truncated wasm module");
    const text = new TextDecoder().decode(this.bytes.subarray(this.at, this.at + length));
    this.at += length;
    return text;
  }
  valueType() {
    const code = this.byte();
    const type = VALUE_TYPES[code];
    if (!type) throw new Error(`unsupported value type 0x${code.toString(16)}`);
    return type;
  }
  limits() { const flags = this.byte(); this.u32(); if (flags & 1) this.u32(); }
}

const signature = (type) => `(${type.params.join(", ")}) -> ${type.results.length ? type.results.join(", ") : "()"}`;

/** Imports and exports of a wasm binary, functions with their signature in abi-0.2.1.json notation. */
export function describeModule(bytes) {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  if (view.length < 8 || view[0] !== 0 || view[1] !== 0x61 || view[2] !== 0x73 || view[3] !== 0x6d) {
    throw new Error("not a wasm module (bad magic)");
  }
  const types = [], imports = [], exports = [], functionTypes = [];
  const top = new Reader(view, 8);
  while (top.at < top.end) {
    const id = top.byte();
    const size = top.u32();
    const section = new Reader(view, top.at, top.at + size);
    top.at += size;
    if (id === 1) {
      for (let n = section.u32(); n > 0; n--) {
        const form = section.byte();
        if (form !== 0x60) throw new Error(`unsupported type form 0x${form.toString(16)}`);
        const params = []; for (let p = section.u32(); p > 0; p--) params.push(section.valueType());
        const results = []; for (let r = section.u32(); r > 0; r--) results.push(section.valueType());
        types.push({ params, results });
      }
    } else if (id === 2) {
      for (let n = section.u32(); n > 0; n--) {
        const module = section.name(), name = section.name(), kind = KINDS[section.byte()] ?? "unknown";
        const entry = { module, name, kind };
        if (kind === "function") { entry.signature = signature(types[section.u32()]); functionTypes.push(entry.signature); }
        else if (kind === "table") { section.byte(); section.limits(); }
        else if (kind === "memory") section.limits();
        else if (kind === "global") { section.valueType(); section.byte(); }
        else if (kind === "tag") { section.byte(); section.u32(); }
        else throw new Error(`unknown import kind in ${module}.${name}`);
        imports.push(entry);
      }
    } else if (id === 3) {
      for (let n = section.u32(); n > 0; n--) functionTypes.push(signature(types[section.u32()]));
    } else if (id === 7) {
      for (let n = section.u32(); n > 0; n--) {
        const name = section.name(), kind = KINDS[section.byte()] ?? "unknown", index = section.u32();
        exports.push(kind === "function" ? { name, kind, signature: functionTypes[index] } : { name, kind });
      }
    }
  }
  return { imports, exports };
}

/** Problems that would stop Envoy from loading or starting the module; empty when it is fine. */
export function abiProblems(bytes) {
  const { imports, exports } = describeModule(bytes);
  const problems = [];
  for (const entry of imports) {
    const id = `${entry.module}.${entry.name}`;
    const expected = abi.imports[entry.module]?.[entry.name];
    if (entry.kind !== "function") problems.push(`import ${id}: ${entry.kind} imports are not linked by Envoy`);
    else if (!expected) problems.push(`import ${id} ${entry.signature}: not registered by Envoy for ABI 0.2.1`);
    else if (expected !== entry.signature) problems.push(`import ${id}: signature ${entry.signature}, Envoy registers ${expected}`);
  }
  const exported = new Map(exports.map((entry) => [entry.name, entry]));
  for (const name of abi.requiredExports) {
    if (!exported.has(name)) problems.push(`export ${name}: missing`);
  }
  for (const entry of exports) {
    const expected = abi.exports[entry.name];
    if (expected && entry.kind !== "function") problems.push(`export ${entry.name}: must be a function`);
    else if (expected && expected !== entry.signature) problems.push(`export ${entry.name}: signature ${entry.signature}, the host expects ${expected}`);
    if (entry.name === "main" || entry.name === "__main_void" || entry.name === "_start") {
      problems.push(`export ${entry.name}: the host would run it after _initialize`);
    }
  }
  return { problems, imports, exports };
}
