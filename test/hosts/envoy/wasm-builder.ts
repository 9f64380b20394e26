// Builds tiny wasm modules byte by byte for load-check tests (cases AssemblyScript would not emit
// on its own: wrong import types, imported globals, missing exports). Function bodies return 0.

type T = "i32" | "i64";
export interface Sig { params: T[]; results: T[] }

const CODE: Record<T, number> = { i32: 0x7f, i64: 0x7e };

function leb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

function name(s: string): number[] {
  const bytes = [...Buffer.from(s, "utf8")];
  return [...leb(bytes.length), ...bytes];
}

function vec(items: number[][]): number[] { return [...leb(items.length), ...items.flat()]; }
function section(id: number, body: number[]): number[] { return [id, ...leb(body.length), ...body]; }

export interface ModuleSpec {
  importFuncs?: Array<{ module: string; name: string; sig: Sig }>;
  importGlobals?: Array<{ module: string; name: string; type: T }>;
  /** `callImport`: index of an imported function the body calls (with zero arguments) first. */
  exports: Array<{ name: string; sig: Sig; callImport?: number }>;
}

export function buildModule(spec: ModuleSpec): Uint8Array {
  const sigs: Sig[] = [];
  const sigIndex = (s: Sig): number => {
    const i = sigs.findIndex((x) => x.params.join() === s.params.join() && x.results.join() === s.results.join());
    if (i >= 0) return i;
    sigs.push(s);
    return sigs.length - 1;
  };
  const imports: number[][] = [];
  for (const f of spec.importFuncs ?? []) imports.push([...name(f.module), ...name(f.name), 0x00, ...leb(sigIndex(f.sig))]);
  for (const g of spec.importGlobals ?? []) imports.push([...name(g.module), ...name(g.name), 0x03, CODE[g.type], 0x00]);
  const funcTypes = spec.exports.map((e) => sigIndex(e.sig));
  const importedFuncs = spec.importFuncs?.length ?? 0;
  const exports: number[][] = spec.exports.map((e, i) => [...name(e.name), 0x00, ...leb(importedFuncs + i)]);
  exports.push([...name("memory"), 0x02, 0x00]);
  const bodies = spec.exports.map((e) => {
    const result = e.sig.results[0];
    const expr = result === undefined ? [] : result === "i32" ? [0x41, 0x00] : [0x42, 0x00];
    const call: number[] = [];
    const imported = e.callImport === undefined ? undefined : spec.importFuncs?.[e.callImport];
    if (imported && e.callImport !== undefined) {
      for (const p of imported.sig.params) call.push(...(p === "i32" ? [0x41, 0x00] : [0x42, 0x00]));
      call.push(0x10, ...leb(e.callImport));
      for (let r = 0; r < imported.sig.results.length; r++) call.push(0x1a);
    }
    const body = [0x00, ...call, ...expr, 0x0b];
    return [...leb(body.length), ...body];
  });
  const types = sigs.map((s) => [0x60, ...vec(s.params.map((p) => [CODE[p]])), ...vec(s.results.map((r) => [CODE[r]]))]);
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(types)),
    ...section(2, vec(imports)),
    ...section(3, vec(funcTypes.map((t) => leb(t)))),
    ...section(5, vec([[0x00, 0x01]])),
    ...section(7, vec(exports)),
    ...section(10, vec(bodies)),
  ]);
}

export const i32 = "i32" as const;
export const i64 = "i64" as const;
export const ABI_MARKER = { name: "proxy_abi_version_0_2_1", sig: { params: [], results: [] } };
export const MALLOC = { name: "malloc", sig: { params: [i32], results: [i32] } };
