// How a host function is invoked from the guest: argument views, the restricted-callback check
// (cpp-host traps with "restricted_callback") and host-time accounting for stats().

import type { WasmVm } from "./vm.js";

export type HostArgs = Array<number | bigint>;
export type HostImpl = (vm: WasmVm, a: HostArgs) => number | undefined;
export type HostFn = (...a: HostArgs) => number | undefined;

/** Thrown inside a host call to trap the guest. */
export class HostTrap extends Error {
  override name = "HostTrap";
}

/** Unsigned 32-bit view of an i32 argument (the guest passes signed i32s). */
export function u32(a: HostArgs, i: number): number {
  const v = a[i];
  return typeof v === "number" ? v >>> 0 : Number(BigInt.asUintN(32, v ?? 0n));
}

export function i64(a: HostArgs, i: number): bigint {
  const v = a[i];
  return typeof v === "bigint" ? v : BigInt(v ?? 0);
}

export function hostFunction(vmRef: () => WasmVm, fullName: string, impl: HostImpl): HostFn {
  return (...a: HostArgs) => {
    const vm = vmRef();
    if (vm.restricted !== null && !vm.restricted.has(fullName)) throw new HostTrap("restricted_callback");
    const counters = vm.env.counters;
    counters.hostCalls++;
    const t0 = process.hrtime.bigint();
    try {
      return impl(vm, a);
    } finally {
      counters.hostNs += process.hrtime.bigint() - t0;
    }
  };
}
