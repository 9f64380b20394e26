// Host functions of proxy-wasm ABI 0.2.1 as registered by proxy-wasm-cpp-host (src/wasm.cc registerCallbacks).
// Only functions that are actually called end up as wasm imports, so declaring the full set costs nothing.
// Deliberately absent: proxy_get_configuration, proxy_continue_request, proxy_continue_response and
// proxy_clear_route_cache are registered for ABI 0.1.0 only; importing any of them makes Envoy refuse the module.
// Pointer parameters are usize; `Out` suffixes mark slots the host writes into.

import { WasmResult } from "./enums";

// @ts-ignore: decorator
@external("env", "proxy_log")
export declare function proxy_log(level: u32, message: usize, messageSize: usize): WasmResult;

// @ts-ignore: decorator
@external("env", "proxy_get_log_level")
export declare function proxy_get_log_level(levelOut: usize): WasmResult;

// @ts-ignore: decorator
@external("env", "proxy_get_current_time_nanoseconds")
export declare function proxy_get_current_time_nanoseconds(nanosOut: usize): WasmResult;

// @ts-ignore: decorator
@external("env", "proxy_set_tick_period_milliseconds")
export declare function proxy_set_tick_period_milliseconds(periodMs: u32): WasmResult;

// @ts-ignore: decorator
@external("env", "proxy_get_status")
export declare function proxy_get_status(codeOut: usize, messageOut: usize, messageSizeOut: usize): WasmResult;

// @ts-ignore: decorator
@external("env", "proxy_set_effective_context")
export declare function proxy_set_effective_context(contextId: u32): WasmResult;

// @ts-ignore: decorator
@external("env", "proxy_done")
export declare function proxy_done(): WasmResult;

// @ts-ignore: decorator
@external("env", "proxy_call_foreign_function")
export declare function proxy_call_foreign_function(
  name: usize, nameSize: usize, args: usize, argsSize: usize, resultOut: usize, resultSizeOut: usize,
): WasmResult;

// ---- properties

// @ts-ignore: decorator
@external("env", "proxy_get_property")
export declare function proxy_get_property(path: usize, pathSize: usize, valueOut: usize, valueSizeOut: usize): WasmResult;

// @ts-ignore: decorator
@external("env", "proxy_set_property")
export declare function proxy_set_property(path: usize, pathSize: usize, value: usize, valueSize: usize): WasmResult;

// ---- buffers

// @ts-ignore: decorator
@external("env", "proxy_get_buffer_bytes")
export declare function proxy_get_buffer_bytes(
  bufferType: u32, start: usize, maxSize: usize, dataOut: usize, sizeOut: usize,
): WasmResult;

// @ts-ignore: decorator
@external("env", "proxy_get_buffer_status")
export declare function proxy_get_buffer_status(bufferType: u32, sizeOut: usize, flagsOut: usize): WasmResult;

// @ts-ignore: decorator
@external("env", "proxy_set_buffer_bytes")
export declare function proxy_set_buffer_bytes(
  bufferType: u32, start: usize, size: usize, data: usize, dataSize: usize,
): WasmResult;

// ---- header maps

// @ts-ignore: decorator
@external("env", "proxy_get_header_map_pairs")
export declare function proxy_get_header_map_pairs(mapType: u32, dataOut: usize, sizeOut: usize): WasmResult;

// @ts-ignore: decorator
@external("env", "proxy_set_header_map_pairs")
export declare function proxy_set_header_map_pairs(mapType: u32, data: usize, size: usize): WasmResult;

// @ts-ignore: decorator
@external("env", "proxy_get_header_map_size")
export declare function proxy_get_header_map_size(mapType: u32, sizeOut: usize): WasmResult;

// @ts-ignore: decorator
@external("env", "proxy_get_header_map_value")
export declare function proxy_get_header_map_value(
  mapType: u32, key: usize, keySize: usize, valueOut: usize, valueSizeOut: usize,
): WasmResult;

// @ts-ignore: decorator
@external("env", "proxy_add_header_map_value")
export declare function proxy_add_header_map_value(
  mapType: u32, key: usize, keySize: usize, value: usize, valueSize: usize,
): WasmResult;

// @ts-ignore: decorator
@external("env", "proxy_replace_header_map_value")
export declare function proxy_replace_header_map_value(
  mapType: u32, key: usize, keySize: usize, value: usize, valueSize: usize,
): WasmResult;

// @ts-ignore: decorator
@external("env", "proxy_remove_header_map_value")
export declare function proxy_remove_header_map_value(mapType: u32, key: usize, keySize: usize): WasmResult;

// ---- stream control

// @ts-ignore: decorator
@external("env", "proxy_continue_stream")
export declare function proxy_continue_stream(streamType: u32): WasmResult;

// @ts-ignore: decorator
@external("env", "proxy_close_stream")
export declare function proxy_close_stream(streamType: u32): WasmResult;

// @ts-ignore: decorator
@external("env", "proxy_send_local_response")
export declare function proxy_send_local_response(
  statusCode: u32, details: usize, detailsSize: usize, body: usize, bodySize: usize,
  headers: usize, headersSize: usize, grpcStatus: i32,
): WasmResult;

// ---- HTTP and gRPC calls

// @ts-ignore: decorator
@external("env", "proxy_http_call")
export declare function proxy_http_call(
  upstream: usize, upstreamSize: usize, headers: usize, headersSize: usize, body: usize, bodySize: usize,
  trailers: usize, trailersSize: usize, timeoutMs: u32, tokenOut: usize,
): WasmResult;

// @ts-ignore: decorator
@external("env", "proxy_grpc_call")
export declare function proxy_grpc_call(
  upstream: usize, upstreamSize: usize, service: usize, serviceSize: usize, method: usize, methodSize: usize,
  initialMetadata: usize, initialMetadataSize: usize, message: usize, messageSize: usize, timeoutMs: u32,
  tokenOut: usize,
): WasmResult;

// @ts-ignore: decorator
@external("env", "proxy_grpc_stream")
export declare function proxy_grpc_stream(
  upstream: usize, upstreamSize: usize, service: usize, serviceSize: usize, method: usize, methodSize: usize,
  initialMetadata: usize, initialMetadataSize: usize, tokenOut: usize,
): WasmResult;

// @ts-ignore: decorator
@external("env", "proxy_grpc_send")
export declare function proxy_grpc_send(token: u32, message: usize, messageSize: usize, endStream: u32): WasmResult;

// @ts-ignore: decorator
@external("env", "proxy_grpc_cancel")
export declare function proxy_grpc_cancel(token: u32): WasmResult;

// @ts-ignore: decorator
@external("env", "proxy_grpc_close")
export declare function proxy_grpc_close(token: u32): WasmResult;

// ---- shared data and queues

// @ts-ignore: decorator
@external("env", "proxy_get_shared_data")
export declare function proxy_get_shared_data(
  key: usize, keySize: usize, valueOut: usize, valueSizeOut: usize, casOut: usize,
): WasmResult;

// @ts-ignore: decorator
@external("env", "proxy_set_shared_data")
export declare function proxy_set_shared_data(key: usize, keySize: usize, value: usize, valueSize: usize, cas: u32): WasmResult;

// @ts-ignore: decorator
@external("env", "proxy_register_shared_queue")
export declare function proxy_register_shared_queue(name: usize, nameSize: usize, queueIdOut: usize): WasmResult;

// @ts-ignore: decorator
@external("env", "proxy_resolve_shared_queue")
export declare function proxy_resolve_shared_queue(
  vmId: usize, vmIdSize: usize, name: usize, nameSize: usize, queueIdOut: usize,
): WasmResult;

// @ts-ignore: decorator
@external("env", "proxy_enqueue_shared_queue")
export declare function proxy_enqueue_shared_queue(queueId: u32, value: usize, valueSize: usize): WasmResult;

// @ts-ignore: decorator
@external("env", "proxy_dequeue_shared_queue")
export declare function proxy_dequeue_shared_queue(queueId: u32, valueOut: usize, valueSizeOut: usize): WasmResult;

// ---- metrics (increment and record take an i64 in ABI 0.2.1)

// @ts-ignore: decorator
@external("env", "proxy_define_metric")
export declare function proxy_define_metric(metricType: u32, name: usize, nameSize: usize, metricIdOut: usize): WasmResult;

// @ts-ignore: decorator
@external("env", "proxy_increment_metric")
export declare function proxy_increment_metric(metricId: u32, delta: i64): WasmResult;

// @ts-ignore: decorator
@external("env", "proxy_record_metric")
export declare function proxy_record_metric(metricId: u32, value: i64): WasmResult;

// @ts-ignore: decorator
@external("env", "proxy_get_metric")
export declare function proxy_get_metric(metricId: u32, valueOut: usize): WasmResult;
