// WASI preview1 functions as cpp-host implements them (src/exports.cc wasi_unstable_*), registered
// under both "wasi_unstable" and "wasi_snapshot_preview1". Only stdout/stderr exist; files do not.

import { randomFillSync } from "node:crypto";
import { Limits, LogLevel, WasiErrno } from "./abi.js";
import { hostFunction, i64, u32, type HostFn, type HostImpl } from "./host-call.js";
import { WASI_MODULES } from "./signatures.js";
import type { WasmVm } from "./vm.js";

const { Success, BadF, Fault, Inval, NoEnt, NoSys, NotSup, NotDir } = WasiErrno;

const isStdio = (fd: number): boolean => fd === 1 || fd === 2;

/** writev to stdout (info) / stderr (error) becomes a log line, trailing newline removed. */
function writev(vm: WasmVm, fd: number, iovs: number, iovsLen: number, nwrittenPtr: number): number {
  if (!isStdio(fd)) return BadF;
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < iovsLen; i++) {
    const buf = vm.memory.readU32(iovs + i * 8);
    const len = vm.memory.readU32(iovs + i * 8 + 4);
    if (buf === null || len === null) return Fault;
    if (len === 0) continue;
    const data = vm.memory.copy(buf, len);
    if (data === null) return Fault;
    chunks.push(data);
  }
  const bytes = Buffer.concat(chunks);
  if (bytes.length > 0) {
    let text = bytes.toString("utf8");
    if (text.endsWith("\n")) text = text.slice(0, -1);
    vm.log(fd === 1 ? LogLevel.info : LogLevel.error, text);
  }
  return vm.memory.writeU32(nwrittenPtr, bytes.length) ? Success : Fault;
}

function traceError(vm: WasmVm, message: string): void {
  // Envoy's Context::error() logs at trace level.
  vm.log(LogLevel.trace, message, "host");
}

const wasi: Record<string, HostImpl> = {
  fd_write: (vm, a) => writev(vm, u32(a, 0), u32(a, 1), u32(a, 2), u32(a, 3)),
  fd_pwrite: (vm, a) => writev(vm, u32(a, 0), u32(a, 1), u32(a, 2), u32(a, 4)),
  fd_read: () => NoSys,
  fd_seek: (vm) => { traceError(vm, "wasi_unstable fd_seek"); return Success; },
  fd_close: (vm) => { traceError(vm, "wasi_unstable fd_close"); return Success; },
  fd_fdstat_get(vm, a) {
    if (!isStdio(u32(a, 0))) return BadF;
    const ptr = u32(a, 1);
    vm.memory.writeU64(ptr, 0n);
    vm.memory.writeU64(ptr + 8, 64n); // fs_rights_base = FD_WRITE
    vm.memory.writeU64(ptr + 16, 0n);
    return Success;
  },
  fd_fdstat_set_flags: () => NoSys,
  fd_fdstat_set_rights: (_vm, a) => (isStdio(u32(a, 0)) ? Success : BadF),
  environ_get: () => Success,
  environ_sizes_get(vm, a) {
    return vm.memory.writeU32(u32(a, 0), 0) && vm.memory.writeU32(u32(a, 1), 0) ? Success : Fault;
  },
  args_get: () => Success,
  args_sizes_get(vm, a) {
    return vm.memory.writeU32(u32(a, 0), 0) && vm.memory.writeU32(u32(a, 1), 0) ? Success : Fault;
  },
  clock_time_get(vm, a) {
    const id = u32(a, 0);
    let ns: bigint;
    if (id === 0) ns = BigInt(vm.env.clock.nowMs()) * 1_000_000n;
    else if (id === 1) ns = process.hrtime.bigint();
    else return NotSup;
    void i64(a, 1); // precision is ignored, as in cpp-host
    return vm.memory.writeU64(u32(a, 2), ns) ? Success : Fault;
  },
  clock_res_get(vm, a) {
    const id = u32(a, 0);
    if (id !== 0 && id !== 1) return NotSup;
    return vm.memory.writeU64(u32(a, 1), 1n) ? Success : Fault;
  },
  fd_advise: () => Success,
  fd_allocate: (_vm, a) => (isStdio(u32(a, 0)) ? Success : BadF),
  fd_datasync: (_vm, a) => (isStdio(u32(a, 0)) ? Success : BadF),
  fd_filestat_set_size: (_vm, a) => (isStdio(u32(a, 0)) ? Success : BadF),
  fd_filestat_set_times: (_vm, a) => (isStdio(u32(a, 0)) ? Success : BadF),
  fd_pread: () => NoSys,
  fd_readdir: (vm, a) => (vm.memory.writeU32(u32(a, 4), 0) ? NotDir : Fault),
  fd_renumber: (_vm, a) => (isStdio(u32(a, 0)) && isStdio(u32(a, 1)) ? NotSup : BadF),
  fd_sync: (_vm, a) => (isStdio(u32(a, 0)) ? Success : BadF),
  fd_tell(vm, a) {
    if (!isStdio(u32(a, 0))) return BadF;
    return vm.memory.writeU64(u32(a, 1), 0n) ? Success : Fault;
  },
  path_create_directory: () => NotSup,
  path_filestat_set_times: () => NotSup,
  path_link: () => NotSup,
  path_readlink: (vm, a) => (vm.memory.writeU32(u32(a, 5), 0) ? NotSup : Fault),
  path_remove_directory: () => NotSup,
  path_rename: () => NotSup,
  path_symlink: () => NotSup,
  path_unlink_file: () => NotSup,
  sock_accept: (vm, a) => (vm.memory.writeU64(u32(a, 2), 0n) ? NotSup : Fault),
  sock_recv: (vm, a) => (vm.memory.writeU32(u32(a, 4), 0) && vm.memory.writeU16(u32(a, 5), 0) ? NotSup : Fault),
  sock_send: (vm, a) => (vm.memory.writeU32(u32(a, 4), 0) ? NotSup : Fault),
  sock_shutdown: () => NotSup,
  random_get(vm, a) {
    const len = u32(a, 1);
    if (len > Limits.randomGetMaxBytes) return Inval;
    if (len === 0) return Success;
    const bytes = randomFillSync(Buffer.alloc(len));
    return vm.memory.write(u32(a, 0), bytes) ? Success : Fault;
  },
  sched_yield: () => Success,
  poll_oneoff: (vm, a) => (vm.memory.writeU32(u32(a, 3), 0) ? Success : Fault),
  proc_exit: (vm) => { traceError(vm, "wasi_unstable proc_exit"); return undefined; },
  path_open: () => NoEnt,
  fd_prestat_get: () => BadF,
  fd_prestat_dir_name: () => NoSys,
  path_filestat_get: () => NotSup,
  fd_filestat_get: () => BadF,
};

export function buildWasiImports(vmRef: () => WasmVm): Record<string, Record<string, HostFn>> {
  const out: Record<string, Record<string, HostFn>> = {};
  for (const module of WASI_MODULES) {
    const fns: Record<string, HostFn> = {};
    for (const [name, impl] of Object.entries(wasi)) fns[name] = hostFunction(vmRef, `${module}.${name}`, impl);
    out[module] = fns;
  }
  return out;
}
