// Every export a proxy-wasm 0.2.1 host (proxy-wasm-cpp-host / Envoy) looks up for an HTTP filter.
// The filter's entry file must `export * from "./abi/exports"`; only the entry file's exports reach the module.
// Signatures follow cpp-host's getFunction types exactly (a mismatch fails the VM: "Bad function signature").

import { Action, BufferType, LogLevel } from "./enums";
import {
  createHttpContextUnder, createRootContext, forgetContext, getHttpContext, getRootContext, registeredRootIds,
  unboundRootId,
} from "./context";
import { getBufferString } from "./buffers";
import { log } from "./log";
import { allocateForHost } from "./memory";
import { deliverHttpCallResponse } from "./pending-calls";
import { getPropertyString } from "./properties";
// Compiled in for `--use abort=…/abortToHostLog`.
import "./abort";

/** ABI marker; never called. */
export function proxy_abi_version_0_2_1(): void {}

/** How the host obtains guest memory for results (cpp-host looks for `malloc` first). */
export function malloc(size: usize): usize {
  return allocateForHost(size);
}

/** The spec's name for the same allocator, for hosts that look for it. */
export function proxy_on_memory_allocate(size: usize): usize {
  return allocateForHost(size);
}

const PLUGIN_ROOT_ID_PATH: Array<string> = ["plugin_root_id"];

export function proxy_on_context_create(contextId: u32, parentContextId: u32): void {
  if (parentContextId == 0) {
    const rootId = getPropertyString(PLUGIN_ROOT_ID_PATH);
    createRootContext(contextId, rootId == null ? "" : rootId);
    return;
  }
  if (createHttpContextUnder(contextId, parentContextId) == null) {
    log(LogLevel.Error, "context " + contextId.toString() + " has no root context " + parentContextId.toString());
  }
}

function readConfiguration(type: BufferType, size: usize): string | null {
  if (size == 0) return "";
  return getBufferString(type, 0, size);
}

function reportUnboundRoot(contextId: u32): void {
  const wanted = unboundRootId(contextId);
  if (wanted == null) {
    log(LogLevel.Error, "unknown root context " + contextId.toString());
    return;
  }
  log(LogLevel.Error,
    "no root context registered for plugin_root_id '" + wanted + "' (registered: '" +
    registeredRootIds().join("', '") + "'); set root_id (Istio WasmPlugin: spec.pluginName) to one of them");
}

export function proxy_on_vm_start(rootContextId: u32, vmConfigurationSize: usize): bool {
  const root = getRootContext(rootContextId);
  if (root == null) {
    reportUnboundRoot(rootContextId);
    return false;
  }
  const configuration = readConfiguration(BufferType.VmConfiguration, vmConfigurationSize);
  if (configuration == null) {
    log(LogLevel.Error, "the host did not provide the VM configuration");
    return false;
  }
  return root.onVmStart(configuration);
}

export function proxy_validate_configuration(rootContextId: u32, configurationSize: usize): bool {
  const root = getRootContext(rootContextId);
  if (root == null) return false;
  const configuration = readConfiguration(BufferType.PluginConfiguration, configurationSize);
  return configuration != null && root.validateConfiguration(configuration);
}

export function proxy_on_configure(rootContextId: u32, configurationSize: usize): bool {
  const root = getRootContext(rootContextId);
  if (root == null) {
    reportUnboundRoot(rootContextId);
    return false;
  }
  const configuration = readConfiguration(BufferType.PluginConfiguration, configurationSize);
  if (configuration == null) {
    log(LogLevel.Error, "the host did not provide the plugin configuration");
    return false;
  }
  return root.onConfigure(configuration);
}

export function proxy_on_tick(rootContextId: u32): void {
  const root = getRootContext(rootContextId);
  if (root != null) root.onTick();
}

export function proxy_on_queue_ready(rootContextId: u32, queueId: u32): void {
  const root = getRootContext(rootContextId);
  if (root != null) root.onQueueReady(queueId);
}

export function proxy_on_foreign_function(rootContextId: u32, functionId: u32, argumentsSize: usize): void {
  const root = getRootContext(rootContextId);
  if (root != null) root.onForeignFunction(functionId, argumentsSize);
}

// Stream callbacks for an unknown context continue: the host never sends them after a failed start.

export function proxy_on_request_headers(contextId: u32, numHeaders: u32, endOfStream: u32): Action {
  const stream = getHttpContext(contextId);
  return stream == null ? Action.Continue : stream.onRequestHeaders(numHeaders, endOfStream != 0);
}

export function proxy_on_request_body(contextId: u32, bodySize: usize, endOfStream: u32): Action {
  const stream = getHttpContext(contextId);
  return stream == null ? Action.Continue : stream.onRequestBody(bodySize, endOfStream != 0);
}

export function proxy_on_request_trailers(contextId: u32, numTrailers: u32): Action {
  const stream = getHttpContext(contextId);
  return stream == null ? Action.Continue : stream.onRequestTrailers(numTrailers);
}

export function proxy_on_response_headers(contextId: u32, numHeaders: u32, endOfStream: u32): Action {
  const stream = getHttpContext(contextId);
  return stream == null ? Action.Continue : stream.onResponseHeaders(numHeaders, endOfStream != 0);
}

export function proxy_on_response_body(contextId: u32, bodySize: usize, endOfStream: u32): Action {
  const stream = getHttpContext(contextId);
  return stream == null ? Action.Continue : stream.onResponseBody(bodySize, endOfStream != 0);
}

export function proxy_on_response_trailers(contextId: u32, numTrailers: u32): Action {
  const stream = getHttpContext(contextId);
  return stream == null ? Action.Continue : stream.onResponseTrailers(numTrailers);
}

export function proxy_on_http_call_response(
  rootContextId: u32, token: u32, numHeaders: u32, bodySize: usize, numTrailers: u32,
): void {
  deliverHttpCallResponse(rootContextId, token, numHeaders, bodySize, numTrailers);
}

// gRPC is not used by meshgate; the exports exist so a host never finds a callback missing.
export function proxy_on_grpc_receive_initial_metadata(contextId: u32, token: u32, numHeaders: u32): void {}
export function proxy_on_grpc_receive(contextId: u32, token: u32, messageSize: usize): void {}
export function proxy_on_grpc_receive_trailing_metadata(contextId: u32, token: u32, numTrailers: u32): void {}
export function proxy_on_grpc_close(contextId: u32, token: u32, statusCode: u32): void {}

export function proxy_on_log(contextId: u32): void {
  const stream = getHttpContext(contextId);
  if (stream != null) stream.onLog();
}

/** Roots may answer false and call done() later; Envoy ignores the answer for streams. */
export function proxy_on_done(contextId: u32): bool {
  const stream = getHttpContext(contextId);
  if (stream != null) {
    stream.onDone();
    return true;
  }
  const root = getRootContext(contextId);
  return root == null ? true : root.onDone();
}

export function proxy_on_delete(contextId: u32): void {
  const stream = getHttpContext(contextId);
  if (stream != null) stream.onDelete();
  else {
    const root = getRootContext(contextId);
    if (root != null) root.onDelete();
  }
  forgetContext(contextId);
}
