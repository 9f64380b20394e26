// Tests import the core's sources directly; the Node builds inject AssemblyScript's portable
// conversions (i32, f64, …) as module bindings, so here they are provided as globals instead.
import * as portable from "../../shared/portable-node";

Object.assign(globalThis, portable);
