// Hand-assembles tiny wasm modules with chosen imports/exports, to feed the ABI checker cases the
// AssemblyScript compiler would never produce.

export type ValueType = "i32" | "i64";
export interface FunctionSpec { params: ValueType[]; results: ValueType[] }
export interface ImportSpec extends FunctionSpec { module: string; name: string }
export interface ExportSpec extends FunctionSpec { name: string }

const TYPE_CODE: Record<ValueType, number> = { i32: 0x7f, i64: 0x7e };
const CONST_OP: Record<ValueType, number> = { i32: 0x41, i64: 0x42 };

function u32(value: number): number[] {
  const out: number[] = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value !== 0) byte |= 0x80;
    out.push(byte);
  } while (value !== 0);
  return out;
}

const name = (text: string): number[] => {
  const bytes = [...new TextEncoder().encode(text)];
  return [...u32(bytes.length), ...bytes];
};
const vector = (items: number[][]): number[] => [...u32(items.length), ...items.flat()];
const section = (id: number, body: number[]): number[] => [id, ...u32(body.length), ...body];
const functionType = (spec: FunctionSpec): number[] =>
  [0x60, ...vector(spec.params.map((t) => [TYPE_CODE[t]])), ...vector(spec.results.map((t) => [TYPE_CODE[t]]))];

export function assembleModule(imports: ImportSpec[], exports: ExportSpec[], exportMemory = true): Uint8Array {
  const types = [...imports, ...exports].map(functionType);
  const importEntries = imports.map((spec, index) => [...name(spec.module), ...name(spec.name), 0x00, ...u32(index)]);
  const functionEntries = exports.map((_, index) => u32(imports.length + index));
  const exportEntries = exports.map((spec, index) => [...name(spec.name), 0x00, ...u32(imports.length + index)]);
  if (exportMemory) exportEntries.push([...name("memory"), 0x02, 0x00]);
  const bodies = exports.map((spec) => {
    const code = [0x00, ...spec.results.flatMap((t) => [CONST_OP[t], 0x00]), 0x0b];
    return [...u32(code.length), ...code];
  });
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vector(types)),
    ...section(2, vector(importEntries)),
    ...section(3, vector(functionEntries)),
    ...section(5, vector([[0x00, 0x01]])),
    ...section(7, vector(exportEntries)),
    ...section(10, vector(bodies)),
  ]);
}

/** The exports every proxy-wasm module needs, with the right signatures. */
export const BASE_EXPORTS: ExportSpec[] = [
  { name: "proxy_abi_version_0_2_1", params: [], results: [] },
  { name: "_initialize", params: [], results: [] },
  { name: "malloc", params: ["i32"], results: ["i32"] },
];
