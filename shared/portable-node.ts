// Node-side definitions of AssemblyScript's portable conversion functions.
// esbuild injects these as module-local bindings into the Node builds of the core, so the
// same source compiles with asc (where they are builtins) without touching Node's globals.
export function i32(value: number): number { return value | 0; }
export function u32(value: number): number { return value >>> 0; }
export function u8(value: number): number { return value & 0xff; }
export function u16(value: number): number { return value & 0xffff; }
export function f64(value: number): number { return +value; }
export function bool(value: unknown): boolean { return !!value; }
export function min(a: number, b: number): number { return Math.min(a, b); }
export function max(a: number, b: number): number { return Math.max(a, b); }
/** asc's `unchecked(expr)` drops the bounds check of an array access inside it; on Node it is the access itself. */
export function unchecked<T>(value: T): T { return value; }
/** asc's fixed-length array; on Node a zero-filled Array (the core uses it for numbers only). */
export class StaticArray<T> extends Array<T> {
  constructor(length: number) {
    super(length);
    this.fill(0 as T);
  }
}
