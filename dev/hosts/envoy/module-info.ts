// Reads what the JS WebAssembly API does not expose in Node 20: the function types of a module's
// imports and exports, and the limits of an imported memory. Only the type, import, function and
// export sections are decoded; everything else is skipped by its size.

export type ValType = "i32" | "i64" | "f32" | "f64" | "v128" | "funcref" | "externref";

export interface FuncSig {
  params: ValType[];
  results: ValType[];
}

export type ImportDesc =
  | { kind: "function"; sig: FuncSig }
  | { kind: "memory"; initial: number; maximum: number | undefined; shared: boolean }
  | { kind: "table"; element: ValType; initial: number; maximum: number | undefined }
  | { kind: "global"; type: ValType; mutable: boolean }
  | { kind: "tag" };

export interface ModuleImport {
  module: string;
  name: string;
  desc: ImportDesc;
}

export interface ModuleInfo {
  imports: ModuleImport[];
  /** Function exports with their signatures, by export name. */
  functionExports: Map<string, FuncSig>;
  exportNames: Set<string>;
}

export class ModuleParseError extends Error {}

const VAL_TYPES: Record<number, ValType> = {
  0x7f: "i32", 0x7e: "i64", 0x7d: "f32", 0x7c: "f64", 0x7b: "v128", 0x70: "funcref", 0x6f: "externref",
};

class Reader {
  pos = 0;
  constructor(private readonly bytes: Uint8Array, private readonly end = bytes.length) {}
  get done(): boolean { return this.pos >= this.end; }
  byte(): number {
    if (this.pos >= this.end) throw new ModuleParseError("unexpected end of module");
    return this.bytes[this.pos++] ?? 0;
  }
  u32(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const b = this.byte();
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) break;
      shift += 7;
      if (shift > 35) throw new ModuleParseError("malformed LEB128");
    }
    return result;
  }
  name(): string {
    const len = this.u32();
    if (this.pos + len > this.end) throw new ModuleParseError("name overruns section");
    const s = new TextDecoder().decode(this.bytes.subarray(this.pos, this.pos + len));
    this.pos += len;
    return s;
  }
  valType(): ValType {
    const code = this.byte();
    const t = VAL_TYPES[code];
    if (!t) throw new ModuleParseError(`unsupported value type 0x${code.toString(16)}`);
    return t;
  }
  limits(): { initial: number; maximum: number | undefined; shared: boolean } {
    const flags = this.u32();
    const initial = this.u32();
    const maximum = flags & 1 ? this.u32() : undefined;
    return { initial, maximum, shared: (flags & 2) !== 0 };
  }
}

export function readModuleInfo(bytes: Uint8Array): ModuleInfo {
  if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) {
    throw new ModuleParseError("not a WebAssembly binary (bad magic)");
  }
  const types: FuncSig[] = [];
  const imports: ModuleImport[] = [];
  const funcTypeIndices: number[] = []; // imported functions first, then defined ones
  const exports: Array<{ name: string; kind: number; index: number }> = [];
  const top = new Reader(bytes);
  top.pos = 8;
  while (!top.done) {
    const id = top.byte();
    const size = top.u32();
    const start = top.pos;
    const end = start + size;
    if (end > bytes.length) throw new ModuleParseError("section overruns module");
    const r = new Reader(bytes, end);
    r.pos = start;
    if (id === 1) readTypes(r, types);
    else if (id === 2) readImports(r, types, imports, funcTypeIndices);
    else if (id === 3) {
      const n = r.u32();
      for (let i = 0; i < n; i++) funcTypeIndices.push(r.u32());
    } else if (id === 7) {
      const n = r.u32();
      for (let i = 0; i < n; i++) exports.push({ name: r.name(), kind: r.byte(), index: r.u32() });
    }
    top.pos = end;
  }
  const functionExports = new Map<string, FuncSig>();
  for (const e of exports) {
    if (e.kind !== 0) continue;
    const typeIndex = funcTypeIndices[e.index];
    const sig = typeIndex === undefined ? undefined : types[typeIndex];
    if (sig) functionExports.set(e.name, sig);
  }
  return { imports, functionExports, exportNames: new Set(exports.map((e) => e.name)) };
}

function readTypes(r: Reader, types: FuncSig[]): void {
  const n = r.u32();
  for (let i = 0; i < n; i++) {
    const form = r.byte();
    if (form !== 0x60) throw new ModuleParseError(`unsupported type form 0x${form.toString(16)}`);
    const params: ValType[] = [];
    const results: ValType[] = [];
    for (let p = r.u32(); p > 0; p--) params.push(r.valType());
    for (let q = r.u32(); q > 0; q--) results.push(r.valType());
    types.push({ params, results });
  }
}

function readImports(r: Reader, types: FuncSig[], imports: ModuleImport[], funcTypeIndices: number[]): void {
  const n = r.u32();
  for (let i = 0; i < n; i++) {
    const module = r.name();
    const name = r.name();
    const kind = r.byte();
    if (kind === 0) {
      const typeIndex = r.u32();
      const sig = types[typeIndex];
      if (!sig) throw new ModuleParseError(`import ${module}.${name} refers to missing type ${typeIndex}`);
      funcTypeIndices.push(typeIndex);
      imports.push({ module, name, desc: { kind: "function", sig } });
    } else if (kind === 1) {
      const element = r.valType();
      const { initial, maximum } = r.limits();
      imports.push({ module, name, desc: { kind: "table", element, initial, maximum } });
    } else if (kind === 2) {
      imports.push({ module, name, desc: { kind: "memory", ...r.limits() } });
    } else if (kind === 3) {
      const type = r.valType();
      const mutable = r.byte() === 1;
      imports.push({ module, name, desc: { kind: "global", type, mutable } });
    } else if (kind === 4) {
      r.byte();
      r.u32();
      imports.push({ module, name, desc: { kind: "tag" } });
    } else {
      throw new ModuleParseError(`unknown import kind ${kind}`);
    }
  }
}

export function printValTypes(types: readonly ValType[]): string {
  return types.length === 0 ? "void" : types.join(" ");
}
