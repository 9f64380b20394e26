// AssemblyScript's StaticArray as the core uses it (index, length), for type-checking the core under tsc; the
// Node builds get the implementation from portable-node.ts.
declare class StaticArray<T> {
  constructor(length: i32);
  [index: number]: T;
  readonly length: i32;
}
