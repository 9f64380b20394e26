// The env.proxy_* host functions (cpp-host src/exports.cc + Envoy Context) for ABI 0.2.x, plus
// env.pthread_equal / env.emscripten_notify_memory_growth, and the WASI modules (wasi.ts).
// Every function resolves contextOrEffectiveContext() itself, exactly like cpp-host.

import {
  BufferType, LogLevel, MapType, MetricType, StreamType, WasmResult,
} from "./abi.js";
import { HeaderMap } from "./header-map.js";
import { parsePairs, serializePairs } from "./pairs.js";
import { resolveProperty } from "./properties.js";
import { buildWasiImports } from "./wasi.js";
import { hostFunction, i64, u32, type HostArgs, type HostFn, type HostImpl } from "./host-call.js";
import type { WasmVm } from "./vm.js";
import type { WasmImports } from "./wasm-api.js";

const { Ok, NotFound, BadArgument, InvalidMemoryAccess, ParseFailure, Unimplemented } = WasmResult;

function latin1Bytes(s: string): Uint8Array { return Buffer.from(s, "latin1"); }

const proxy: Record<string, HostImpl> = {
  proxy_log(vm, a) {
    const level = u32(a, 0);
    if (level > LogLevel.critical) return BadArgument;
    const message = vm.memory.utf8(u32(a, 1), u32(a, 2));
    if (message === null) return InvalidMemoryAccess;
    vm.log(level, message);
    return Ok;
  },
  proxy_get_log_level(vm, a) {
    return vm.memory.writeU32(u32(a, 0), vm.env.logLevel) ? Ok : InvalidMemoryAccess;
  },
  proxy_get_status(vm, a) {
    const root = vm.contextOrEffective().root;
    if (!vm.memory.writeU32(u32(a, 0), root.statusCode)) return InvalidMemoryAccess;
    return vm.memory.copyToPointerSize(latin1Bytes(root.statusMessage), u32(a, 1), u32(a, 2)) ? Ok : InvalidMemoryAccess;
  },
  proxy_set_property(vm, a) {
    const ctx = vm.contextOrEffective();
    const path = vm.memory.latin1(u32(a, 0), u32(a, 1));
    const value = vm.memory.copy(u32(a, 2), u32(a, 3));
    if (path === null || value === null) return InvalidMemoryAccess;
    const info = ctx.streamCallbacks?.info;
    if (!info) return NotFound;
    info.filterState.set(path, value);
    return Ok;
  },
  proxy_get_property(vm, a) {
    const ctx = vm.contextOrEffective();
    const path = vm.memory.latin1(u32(a, 0), u32(a, 1));
    if (path === null) return InvalidMemoryAccess;
    const segments = path.split("\u0000");
    if (segments.length > 1 && segments[segments.length - 1] === "") segments.pop(); // trailing NUL
    const value = resolveProperty(ctx, segments);
    if (value === null) return NotFound;
    return vm.memory.copyToPointerSize(value, u32(a, 2), u32(a, 3)) ? Ok : InvalidMemoryAccess;
  },
  proxy_send_local_response(vm, a) {
    const ctx = vm.contextOrEffective();
    const details = vm.memory.latin1(u32(a, 1), u32(a, 2));
    const body = vm.memory.copy(u32(a, 3), u32(a, 4));
    const headerBytes = vm.memory.view8(u32(a, 5), u32(a, 6));
    if (details === null || body === null || headerBytes === null) return InvalidMemoryAccess;
    const grpc = Number(BigInt.asIntN(32, BigInt(u32(a, 7))));
    ctx.sendLocalResponse({
      status: u32(a, 0),
      body,
      headers: parsePairs(headerBytes),
      details: details.replace(/\s/g, "_"),
      grpcStatus: grpc >= 0 && grpc <= 16 ? grpc : null,
    });
    vm.stopNextIteration();
    return Ok;
  },
  proxy_get_shared_data(vm, a) {
    const key = vm.memory.latin1(u32(a, 0), u32(a, 1));
    if (key === null) return InvalidMemoryAccess;
    const entry = vm.env.sharedData.get(vm.env.vmId, key);
    if (!entry) return NotFound;
    if (!vm.memory.copyToPointerSize(entry.value, u32(a, 2), u32(a, 3))) return InvalidMemoryAccess;
    return vm.memory.writeU32(u32(a, 4), entry.cas) ? Ok : InvalidMemoryAccess;
  },
  proxy_set_shared_data(vm, a) {
    const key = vm.memory.latin1(u32(a, 0), u32(a, 1));
    const value = vm.memory.view8(u32(a, 2), u32(a, 3));
    if (key === null || value === null) return InvalidMemoryAccess;
    return vm.env.sharedData.set(vm.env.vmId, key, value, u32(a, 4));
  },
  proxy_register_shared_queue(vm, a) {
    const ctx = vm.contextOrEffective();
    const name = vm.memory.latin1(u32(a, 0), u32(a, 1));
    if (name === null) return InvalidMemoryAccess;
    const rootId = ctx.isRoot ? ctx.id : ctx.parentId;
    const token = vm.env.queues.register(vm.env.vmId, name, vm, rootId);
    return vm.memory.writeU32(u32(a, 2), token) ? Ok : InvalidMemoryAccess;
  },
  proxy_resolve_shared_queue(vm, a) {
    const vmId = vm.memory.latin1(u32(a, 0), u32(a, 1));
    const name = vm.memory.latin1(u32(a, 2), u32(a, 3));
    if (vmId === null || name === null) return InvalidMemoryAccess;
    const token = vm.env.queues.resolve(vmId === "" ? vm.env.vmId : vmId, name);
    if (vm.failed || token === undefined) return NotFound;
    return vm.memory.writeU32(u32(a, 4), token) ? Ok : InvalidMemoryAccess;
  },
  proxy_dequeue_shared_queue(vm, a) {
    const { result, value } = vm.env.queues.dequeue(u32(a, 0));
    if (result !== Ok || !value) return result;
    return vm.memory.copyToPointerSize(value, u32(a, 1), u32(a, 2)) ? Ok : InvalidMemoryAccess;
  },
  proxy_enqueue_shared_queue(vm, a) {
    const value = vm.memory.view8(u32(a, 1), u32(a, 2));
    if (value === null) return InvalidMemoryAccess;
    return vm.env.queues.enqueue(u32(a, 0), value);
  },
  proxy_get_header_map_value(vm, a) {
    const type = u32(a, 0);
    if (type > MapType.Max) return BadArgument;
    const ctx = vm.contextOrEffective();
    const key = vm.memory.latin1(u32(a, 1), u32(a, 2));
    if (key === null) return InvalidMemoryAccess;
    const map = ctx.getConstMap(type);
    if (!map) return ctx.accessLogPhase ? NotFound : BadArgument;
    const value = map.get(key);
    if (value === undefined) return NotFound;
    return vm.memory.copyToPointerSize(latin1Bytes(value), u32(a, 3), u32(a, 4)) ? Ok : InvalidMemoryAccess;
  },
  proxy_add_header_map_value(vm, a) { return mutateHeader(vm, a, (map, k, v) => map.add(k, v)); },
  proxy_replace_header_map_value(vm, a) { return mutateHeader(vm, a, (map, k, v) => map.set(k, v)); },
  proxy_remove_header_map_value(vm, a) {
    const type = u32(a, 0);
    if (type > MapType.Max) return BadArgument;
    const ctx = vm.contextOrEffective();
    const key = vm.memory.latin1(u32(a, 1), u32(a, 2));
    if (key === null) return InvalidMemoryAccess;
    const map = ctx.getMap(type);
    if (!map) return BadArgument;
    map.remove(key);
    ctx.onHeadersModified(type);
    return Ok;
  },
  proxy_get_header_map_pairs(vm, a) {
    const type = u32(a, 0);
    if (type > MapType.Max) return BadArgument;
    const pairs = vm.contextOrEffective().getConstMap(type)?.pairs() ?? [];
    const data = pairs.length ? serializePairs(pairs) : new Uint8Array(0);
    return vm.memory.copyToPointerSize(data, u32(a, 1), u32(a, 2)) ? Ok : InvalidMemoryAccess;
  },
  proxy_set_header_map_pairs(vm, a) {
    const type = u32(a, 0);
    if (type > MapType.Max) return BadArgument;
    const ctx = vm.contextOrEffective();
    const data = vm.memory.view8(u32(a, 1), u32(a, 2));
    if (data === null) return InvalidMemoryAccess;
    const pairs = parsePairs(data);
    const map = ctx.getMap(type);
    if (!map) return BadArgument;
    map.clear();
    for (const [k, v] of pairs) map.add(k, v);
    ctx.onHeadersModified(type);
    return Ok;
  },
  proxy_get_header_map_size(vm, a) {
    const type = u32(a, 0);
    if (type > MapType.Max) return BadArgument;
    const map = vm.contextOrEffective().getMap(type);
    if (!map) return BadArgument;
    return vm.memory.writeU32(u32(a, 1), map.byteSize()) ? Ok : InvalidMemoryAccess;
  },
  proxy_get_buffer_bytes(vm, a) {
    const type = u32(a, 0);
    if (type > BufferType.Max) return BadArgument;
    const buffer = vm.contextOrEffective().getBuffer(type);
    if (!buffer) return NotFound;
    const bytes = buffer.bytes();
    const start = u32(a, 1);
    let length = u32(a, 2);
    if (start > bytes.length) length = 0;
    else if (start + length > bytes.length) length = bytes.length - start;
    if (length === 0) {
      return vm.memory.writeU32(u32(a, 3), 0) && vm.memory.writeU32(u32(a, 4), 0) ? Ok : InvalidMemoryAccess;
    }
    return vm.memory.copyToPointerSize(bytes.subarray(start, start + length), u32(a, 3), u32(a, 4)) ? Ok : InvalidMemoryAccess;
  },
  proxy_get_buffer_status(vm, a) {
    const type = u32(a, 0);
    if (type > BufferType.Max) return BadArgument;
    const buffer = vm.contextOrEffective().getBuffer(type);
    if (!buffer) return NotFound;
    return vm.memory.writeU32(u32(a, 1), buffer.bytes().length) && vm.memory.writeU32(u32(a, 2), 0) ? Ok : InvalidMemoryAccess;
  },
  proxy_set_buffer_bytes(vm, a) {
    const type = u32(a, 0);
    if (type > BufferType.Max) return BadArgument;
    const buffer = vm.contextOrEffective().getBuffer(type);
    if (!buffer) return NotFound;
    const data = vm.memory.copy(u32(a, 3), u32(a, 4));
    if (data === null) return InvalidMemoryAccess;
    return buffer.copyFrom(u32(a, 1), u32(a, 2), data);
  },
  proxy_http_call(vm, a) {
    const root = vm.contextOrEffective().root;
    const cluster = vm.memory.latin1(u32(a, 0), u32(a, 1));
    const body = vm.memory.copy(u32(a, 4), u32(a, 5));
    const headerBytes = vm.memory.view8(u32(a, 2), u32(a, 3));
    const trailerBytes = vm.memory.view8(u32(a, 6), u32(a, 7));
    if (cluster === null || body === null || headerBytes === null || trailerBytes === null) return InvalidMemoryAccess;
    const headers = new HeaderMap(parsePairs(headerBytes));
    const trailers = parsePairs(trailerBytes);
    const tokenPtr = u32(a, 9);
    if (!vm.memory.writeU32(tokenPtr, 0)) return InvalidMemoryAccess;
    const timeout = u32(a, 8) | 0; // Envoy casts the Word to int: above 2^31 is negative
    const dispatcher = vm.env.httpCalls;
    if (timeout < 0) return BadArgument;
    if (!dispatcher.hasCluster(cluster)) return BadArgument;
    if (!headers.has(":path") || !headers.has(":method") || !headers.has(":authority")) return BadArgument;
    if (body.length > 0) headers.set("content-length", String(body.length));
    if (trailers.length > 0) vm.log(LogLevel.debug, "http_call trailers are not sent by the dev host", "host");
    const token = vm.nextHttpCallId();
    root.httpCalls.set(token, () => undefined);
    const cancel = dispatcher.httpCall(cluster, headers, body, timeout, (outcome) => vm.deliverHttpCall(root, token, outcome));
    if (root.httpCalls.has(token)) root.httpCalls.set(token, cancel);
    vm.memory.writeU32(tokenPtr, token);
    return Ok;
  },
  proxy_grpc_call(vm, a) { return grpcStart(vm, u32(a, 0), u32(a, 1)); },
  proxy_grpc_stream(vm, a) { return grpcStart(vm, u32(a, 0), u32(a, 1)); },
  proxy_grpc_send(_vm, a) { return (u32(a, 0) & 3) === 2 ? NotFound : BadArgument; },
  proxy_grpc_cancel(_vm, a) { return grpcToken(u32(a, 0)); },
  proxy_grpc_close(_vm, a) { return grpcToken(u32(a, 0)); },
  proxy_set_tick_period_milliseconds(vm, a) {
    vm.setTickPeriod(vm.contextOrEffective().root, u32(a, 0));
    return Ok;
  },
  proxy_get_current_time_nanoseconds(vm, a) {
    return vm.memory.writeU64(u32(a, 0), BigInt(vm.env.clock.nowMs()) * 1_000_000n) ? Ok : InvalidMemoryAccess;
  },
  proxy_define_metric(vm, a) {
    const type = u32(a, 0);
    if (type > MetricType.Max) return BadArgument;
    const name = vm.memory.latin1(u32(a, 1), u32(a, 2));
    if (name === null) return InvalidMemoryAccess;
    const kind = type === MetricType.Counter ? "counter" : type === MetricType.Gauge ? "gauge" : "histogram";
    const id = vm.defineMetric(type, vm.env.metrics.define(kind, name));
    return vm.memory.writeU32(u32(a, 3), id) ? Ok : InvalidMemoryAccess;
  },
  proxy_increment_metric(vm, a) {
    const id = u32(a, 0);
    const delta = i64(a, 1);
    const type = id & 3;
    if (type !== MetricType.Counter && type !== MetricType.Gauge) return BadArgument;
    const stat = vm.metricIds.get(id);
    if (!stat) return NotFound;
    if (type === MetricType.Counter && delta <= 0n) return BadArgument;
    stat.value += Number(delta);
    return Ok;
  },
  proxy_record_metric(vm, a) {
    const id = u32(a, 0);
    const value = Number(BigInt.asUintN(64, i64(a, 1)));
    const stat = vm.metricIds.get(id);
    if (!stat) return NotFound;
    const type = id & 3;
    if (type === MetricType.Counter) stat.value += value;
    else if (type === MetricType.Gauge) stat.value = value;
    else stat.record(value);
    return Ok;
  },
  proxy_get_metric(vm, a) {
    const id = u32(a, 0);
    const type = id & 3;
    if (type !== MetricType.Counter && type !== MetricType.Gauge) return BadArgument;
    const stat = vm.metricIds.get(id);
    if (!stat) return NotFound;
    return vm.memory.writeU64(u32(a, 1), BigInt(Math.trunc(stat.value))) ? Ok : InvalidMemoryAccess;
  },
  proxy_set_effective_context(vm, a) {
    return vm.setEffectiveContext(u32(a, 0)) ? Ok : BadArgument;
  },
  proxy_done(vm) {
    const ctx = vm.contextOrEffective();
    const root = ctx.root;
    if (!root.pendingDone || root !== ctx) return NotFound;
    root.pendingDone = false;
    vm.addAfterVmCallAction(() => root.onDelete());
    return Ok;
  },
  proxy_call_foreign_function(vm, a) {
    const name = vm.memory.latin1(u32(a, 0), u32(a, 1));
    if (name === null || vm.memory.view8(u32(a, 2), u32(a, 3)) === null) return InvalidMemoryAccess;
    if (name !== "clear_route_cache") return NotFound;
    vm.contextOrEffective().streamCallbacks?.clearRouteCache();
    if (u32(a, 4) !== 0 && !vm.memory.writeU32(u32(a, 4), 0)) return InvalidMemoryAccess;
    if (u32(a, 5) !== 0 && !vm.memory.writeU32(u32(a, 5), 0)) return InvalidMemoryAccess;
    return Ok;
  },
  proxy_continue_stream(vm, a) {
    const type = u32(a, 0);
    if (type > StreamType.Max) return BadArgument;
    return vm.contextOrEffective().continueStream(type);
  },
  proxy_close_stream(vm, a) {
    const type = u32(a, 0);
    if (type > StreamType.Max) return BadArgument;
    return vm.contextOrEffective().closeStream(type);
  },
};

function mutateHeader(vm: WasmVm, a: HostArgs, apply: (map: HeaderMap, key: string, value: string) => void): number {
  const type = u32(a, 0);
  if (type > MapType.Max) return BadArgument;
  const ctx = vm.contextOrEffective();
  const key = vm.memory.latin1(u32(a, 1), u32(a, 2));
  const value = vm.memory.latin1(u32(a, 3), u32(a, 4));
  if (key === null || value === null) return InvalidMemoryAccess;
  const map = ctx.getMap(type);
  if (!map) return BadArgument;
  apply(map, key, value);
  ctx.onHeadersModified(type);
  return Ok;
}

/** gRPC is not emulated: an unknown cluster is ParseFailure (as Envoy), a known one Unimplemented. */
function grpcStart(vm: WasmVm, ptr: number, size: number): number {
  const service = vm.memory.latin1(ptr, size);
  if (service === null) return InvalidMemoryAccess;
  return vm.env.httpCalls.hasCluster(service) ? Unimplemented : ParseFailure;
}

function grpcToken(token: number): number {
  const kind = token & 3;
  return kind === 1 || kind === 2 ? NotFound : BadArgument;
}

const envAlways: Record<string, HostImpl> = {
  pthread_equal: (_vm, a) => (u32(a, 0) === u32(a, 1) ? 1 : 0),
  emscripten_notify_memory_growth: () => undefined,
};

export function buildHostImports(vmRef: () => WasmVm): WasmImports {
  const env: Record<string, HostFn> = {};
  for (const [name, impl] of Object.entries({ ...proxy, ...envAlways })) {
    env[name] = hostFunction(vmRef, `env.${name}`, impl);
  }
  return { env, ...buildWasiImports(vmRef) };
}
