// Root and stream contexts: the part of proxy-wasm-cpp-host's ContextBase and Envoy's
// Context (source/extensions/common/wasm/context.cc) that decides what a host call may touch and
// how each proxy_on_* callback is driven (CHECK_FAIL, stopNextIteration, deferred actions).

import {
  BufferType, DataStatus, HeadersStatus, MapType, StreamType, WasmResult,
} from "./abi.js";
import { ConstBuffer, EMPTY_BUFFER, MutableBuffer, type HostBuffer } from "./buffers.js";
import type { HeaderMap } from "./header-map.js";
import type { LocalReply, StreamCallbacks } from "./stream-types.js";
import type { WasmVm } from "./vm.js";

export interface HttpCallResponse {
  headers: HeaderMap;
  body: Uint8Array;
  trailers: HeaderMap;
}

export abstract class ContextBase {
  inVmContextCreated = false;
  destroyed = false;

  constructor(readonly vm: WasmVm, readonly id: number, readonly parentId: number) {}

  abstract get root(): RootContext;
  get isRoot(): boolean { return (this.root as ContextBase) === this; }

  /** Mutable map (Envoy getMap). */
  getMap(_type: number): HeaderMap | null { return null; }

  /** Read-only map (Envoy getConstMap). */
  getConstMap(type: number): HeaderMap | null {
    const response = this.root.httpCallResponse;
    if (type === MapType.HttpCallResponseHeaders) return response?.headers ?? null;
    if (type === MapType.HttpCallResponseTrailers) return response?.trailers ?? null;
    return null;
  }

  /** True while Envoy's access-log phase is on (missing maps read as NotFound). */
  get accessLogPhase(): boolean { return false; }

  getBuffer(type: number): HostBuffer | null {
    switch (type) {
      case BufferType.VmConfiguration:
        return new ConstBuffer(this.vm.env.vmConfig);
      case BufferType.PluginConfiguration: {
        const config = this.root.tempPluginConfig;
        return config ? new ConstBuffer(config) : null;
      }
      case BufferType.HttpCallResponseBody: {
        const response = this.root.httpCallResponse;
        return response ? new ConstBuffer(response.body) : null;
      }
      default:
        return EMPTY_BUFFER;
    }
  }

  onHeadersModified(_type: number): void {}

  continueStream(type: number): number {
    return type === StreamType.Upstream ? WasmResult.Unimplemented : WasmResult.Ok;
  }

  closeStream(_type: number): number { return WasmResult.Ok; }

  sendLocalResponse(_reply: LocalReply): number { return WasmResult.Ok; }

  get streamCallbacks(): StreamCallbacks | null { return null; }
}

export class RootContext extends ContextBase {
  /** Pending http calls by token; the value cancels the call. */
  readonly httpCalls = new Map<number, () => void>();
  httpCallResponse: HttpCallResponse | null = null;
  statusCode = 0;
  statusMessage = "";
  /** Envoy temp_plugin_: PLUGIN_CONFIGURATION is readable only while set. */
  tempPluginConfig: Uint8Array | null = null;
  pendingDone = false;

  constructor(vm: WasmVm, id: number) { super(vm, id, 0); }
  get root(): RootContext { return this; }

  /** ContextBase::onStart: context_create(root, 0) then vm_start(root, vm_config_size). */
  onStart(): boolean {
    const vm = this.vm;
    return vm.withAfterActions(() => {
      this.tempPluginConfig = vm.env.pluginConfig;
      vm.call(this, "proxy_on_context_create", [this.id, 0]);
      this.inVmContextCreated = true;
      this.tempPluginConfig = null;
      if (vm.failed) return false;
      const r = vm.call(this, "proxy_on_vm_start", [this.id, vm.env.vmConfig.length]);
      return !vm.failed && (r === undefined || r !== 0);
    });
  }

  onConfigure(): boolean {
    const vm = this.vm;
    if (vm.failed) return false;
    if (!vm.hasExport("proxy_on_configure")) return true;
    return vm.withAfterActions(() => {
      this.tempPluginConfig = vm.env.pluginConfig;
      const r = vm.call(this, "proxy_on_configure", [this.id, vm.env.pluginConfig.length]);
      this.tempPluginConfig = null;
      return !vm.failed && r !== 0;
    });
  }

  onTick(): void {
    if (this.vm.failed || !this.vm.hasExport("proxy_on_tick")) return;
    this.vm.withAfterActions(() => { this.vm.call(this, "proxy_on_tick", [this.id]); });
  }

  onQueueReady(token: number): void {
    if (this.vm.failed || !this.vm.hasExport("proxy_on_queue_ready")) return;
    this.vm.withAfterActions(() => { this.vm.call(this, "proxy_on_queue_ready", [this.id, token]); });
  }

  onHttpCallResponse(token: number, headers: number, bodySize: number, trailers: number, cleanup: () => void): void {
    const vm = this.vm;
    vm.withAfterActions(() => {
      vm.addAfterVmCallAction(cleanup);
      if (vm.failed || !vm.hasExport("proxy_on_http_call_response")) return;
      vm.call(this, "proxy_on_http_call_response", [this.id, token, headers, bodySize, trailers]);
    });
  }

  /** Returns true when the root may be deleted now (on_done returned true or no VM to ask). */
  onDone(): boolean {
    if (this.vm.failed || !this.vm.hasExport("proxy_on_done")) return true;
    return this.vm.withAfterActions(() => this.vm.call(this, "proxy_on_done", [this.id]) !== 0);
  }

  onDelete(): void {
    if (!this.inVmContextCreated || this.vm.failed || !this.vm.hasExport("proxy_on_delete")) return;
    this.vm.withAfterActions(() => { this.vm.call(this, "proxy_on_delete", [this.id]); });
  }

  cancelHttpCalls(): void {
    for (const cancel of this.httpCalls.values()) cancel();
    this.httpCalls.clear();
  }
}

/** The VM context (id 0): current context during _initialize and guest malloc. */
export class VmContext extends RootContext {
  constructor(vm: WasmVm) { super(vm, 0); }
}

export class StreamContext extends ContextBase {
  requestHeaders: HeaderMap | null = null;
  responseHeaders: HeaderMap | null = null;
  requestBody: MutableBuffer | null = null;
  responseBody: MutableBuffer | null = null;
  accessLogRequestHeaders: HeaderMap | null = null;
  accessLogResponseHeaders: HeaderMap | null = null;
  private inAccessLog = false;
  failureLocalReplySent = false;
  private streamFailed = false;

  constructor(vm: WasmVm, id: number, private readonly rootCtx: RootContext, readonly callbacks: StreamCallbacks) {
    super(vm, id, rootCtx.id);
  }

  get root(): RootContext { return this.rootCtx; }
  override get accessLogPhase(): boolean { return this.inAccessLog; }
  override get streamCallbacks(): StreamCallbacks { return this.callbacks; }

  override getMap(type: number): HeaderMap | null {
    if (type === MapType.RequestHeaders) return this.requestHeaders;
    if (type === MapType.ResponseHeaders) return this.responseHeaders;
    return null;
  }

  override getConstMap(type: number): HeaderMap | null {
    if (type === MapType.RequestHeaders) return this.inAccessLog ? this.accessLogRequestHeaders : this.requestHeaders;
    if (type === MapType.ResponseHeaders) return this.inAccessLog ? this.accessLogResponseHeaders : this.responseHeaders;
    if (type === MapType.RequestTrailers || type === MapType.ResponseTrailers) return null;
    return super.getConstMap(type);
  }

  override getBuffer(type: number): HostBuffer | null {
    if (type === BufferType.HttpRequestBody) return this.requestBody ?? EMPTY_BUFFER;
    if (type === BufferType.HttpResponseBody) return this.responseBody ?? EMPTY_BUFFER;
    return super.getBuffer(type);
  }

  override onHeadersModified(type: number): void {
    // ABI <= 0.2.1: any request-header mutation clears the route cache (Envoy PR #14318).
    if (type === MapType.RequestHeaders) this.callbacks.clearRouteCache();
  }

  override continueStream(type: number): number {
    if (type === StreamType.Request) {
      this.vm.addAfterVmCallAction(() => this.callbacks.continueDecoding());
    } else if (type === StreamType.Response) {
      this.vm.addAfterVmCallAction(() => this.callbacks.continueEncoding());
    } else {
      return super.continueStream(type);
    }
    // Envoy nulls the request-side pointers right away for both directions.
    this.requestHeaders = null;
    this.requestBody = null;
    return WasmResult.Ok;
  }

  override closeStream(type: number): number {
    if (type === StreamType.Request || type === StreamType.Response) {
      this.vm.addAfterVmCallAction(() => this.callbacks.resetStream("wasm_close_stream"));
    }
    return WasmResult.Ok;
  }

  override sendLocalResponse(reply: LocalReply): number {
    this.vm.addAfterVmCallAction(() => this.callbacks.sendLocalReply(reply));
    return WasmResult.Ok;
  }

  /** CHECK_FAIL: null when the VM is healthy, otherwise the status to return. */
  private checkFail(open: number, closed: number): number | null {
    if (!this.vm.failed) return null;
    if (this.vm.env.failOpen) return open;
    if (!this.streamFailed) {
      this.streamFailed = true;
      if (!this.failureLocalReplySent) {
        this.failureLocalReplySent = true;
        this.callbacks.failStream();
      }
    }
    return closed;
  }

  onCreate(): void {
    const vm = this.vm;
    if (!vm.failed && !this.inVmContextCreated && vm.hasExport("proxy_on_context_create")) {
      vm.withAfterActions(() => { vm.call(this, "proxy_on_context_create", [this.id, this.parentId]); });
    }
    this.inVmContextCreated = true;
  }

  private headersCallback(name: string, count: number, endOfStream: boolean): number {
    const vm = this.vm;
    const early = this.checkFail(HeadersStatus.Continue, HeadersStatus.StopAllIterationAndWatermark);
    if (early !== null) return early;
    if (!vm.hasExport(name)) return HeadersStatus.Continue;
    return vm.withAfterActions(() => {
      const r = vm.call(this, name, [this.id, count, endOfStream ? 1 : 0]) ?? 0;
      const failed = this.checkFail(HeadersStatus.Continue, HeadersStatus.StopAllIterationAndWatermark);
      if (failed !== null) return failed;
      // cpp-host convertVmCallResultToFilterHeadersStatus (allow_on_headers_stop_iteration=false).
      if (vm.nextIterationStopped || r > HeadersStatus.StopAllIterationAndWatermark) {
        return HeadersStatus.StopAllIterationAndWatermark;
      }
      if (r === HeadersStatus.StopIteration) return HeadersStatus.StopAllIterationAndWatermark;
      return r;
    });
  }

  private dataCallback(name: string, size: number, endOfStream: boolean): number {
    const vm = this.vm;
    const early = this.checkFail(DataStatus.Continue, DataStatus.StopIterationNoBuffer);
    if (early !== null) return early;
    if (!vm.hasExport(name)) return DataStatus.Continue;
    return vm.withAfterActions(() => {
      const r = vm.call(this, name, [this.id, size, endOfStream ? 1 : 0]) ?? 0;
      const failed = this.checkFail(DataStatus.Continue, DataStatus.StopIterationNoBuffer);
      if (failed !== null) return failed;
      if (vm.nextIterationStopped || r > DataStatus.StopIterationNoBuffer) return DataStatus.StopIterationNoBuffer;
      return r;
    });
  }

  onRequestHeaders(count: number, endOfStream: boolean): number {
    return this.headersCallback("proxy_on_request_headers", count, endOfStream);
  }

  onRequestBody(size: number, endOfStream: boolean): number {
    return this.dataCallback("proxy_on_request_body", size, endOfStream);
  }

  onResponseHeaders(count: number, endOfStream: boolean): number {
    if (this.failureLocalReplySent) return HeadersStatus.Continue;
    return this.headersCallback("proxy_on_response_headers", count, endOfStream);
  }

  onResponseBody(size: number, endOfStream: boolean): number {
    if (this.failureLocalReplySent) return DataStatus.Continue;
    return this.dataCallback("proxy_on_response_body", size, endOfStream);
  }

  /** Envoy Context::log: on_log with the final request/response headers, read-only. */
  onLog(requestHeaders: HeaderMap, responseHeaders: HeaderMap | null): void {
    if (!this.inVmContextCreated) this.onCreate();
    this.inAccessLog = true;
    this.accessLogRequestHeaders = requestHeaders;
    this.accessLogResponseHeaders = responseHeaders;
    const vm = this.vm;
    if (!vm.failed && vm.hasExport("proxy_on_log")) {
      vm.withAfterActions(() => { vm.call(this, "proxy_on_log", [this.id]); });
    }
    this.inAccessLog = false;
    this.accessLogRequestHeaders = null;
    this.accessLogResponseHeaders = null;
  }

  /** Envoy Context::onDestroy: on_done (result ignored for streams) then on_delete. */
  onDestroy(): void {
    if (this.destroyed || !this.inVmContextCreated) return;
    this.destroyed = true;
    const vm = this.vm;
    if (!vm.failed && vm.hasExport("proxy_on_done")) {
      vm.withAfterActions(() => { vm.call(this, "proxy_on_done", [this.id]); });
    }
    if (!vm.failed && vm.hasExport("proxy_on_delete")) {
      vm.withAfterActions(() => { vm.call(this, "proxy_on_delete", [this.id]); });
    }
  }
}
