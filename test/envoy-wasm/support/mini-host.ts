// A deliberately small proxy-wasm 0.2.1 host for testing the bindings before/independently of dev/hosts/envoy.
// It follows cpp-host where the bindings depend on it: results are written through the guest's malloc,
// the effective context resets on every host→VM entry, http calls are bound to the root (tokens 4, 8, …),
// the call-response maps/body exist only during the callback, and shared data uses one global CAS counter.
// Everything else (deferred continue, Pause→StopAll, routing) is only recorded, not emulated.
import { decodePairs, encodePairs, type HeaderPair } from "./pairs-codec";
import { wasm, type WasmMemory, type WasmModule } from "./wasm-api";

const Ok = 0, NotFound = 1, BadArgument = 2, CasMismatch = 8;
const ROOT_ID = 1;

export interface LogEntry { level: number; message: string }
export interface HostHttpCall { token: number; cluster: string; headers: Array<[string, string]>; body: string; timeoutMs: number }
export interface LocalResponse { context: number; status: number; details: string; body: string; headers: Array<[string, string]>; grpcStatus: number }
interface Metric { type: number; name: string; value: bigint }

type Exports = Record<string, (...args: number[]) => number | undefined>;

export interface MiniHostOptions {
  rootId?: string;
  pluginConfig?: string;
  properties?: Record<string, string>;
  logLevel?: number;
  /** Wall clock in epoch ms for proxy_get_current_time_nanoseconds (which adds 123 456 ns). Default Date.now. */
  nowMs?: () => number;
}

export class MiniHost {
  readonly logs: LogEntry[] = [];
  /** Ordered record of context-sensitive host calls: "effective 3", "continue 3 0", "local-response 2 503". */
  readonly events: string[] = [];
  readonly httpCalls: HostHttpCall[] = [];
  readonly localResponses: LocalResponse[] = [];
  readonly metrics = new Map<number, Metric>();
  readonly sharedData = new Map<string, { value: Uint8Array; cas: number }>();
  tickPeriodMs = 0;

  private readonly exports: Exports;
  private readonly memory: WasmMemory;
  private readonly requestHeaders = new Map<number, Array<[string, string]>>();
  private readonly requestBodies = new Map<number, Uint8Array>();
  private readonly streams = new Set<number>();
  private callResponse: { headers: Array<[string, string]>; body: Uint8Array } | null = null;
  private lastStatus: { code: number; message: string } = { code: Ok, message: "" };
  private effective = 0;
  private nextContextId = 2;
  private nextToken = 4;
  private nextCas = 1;
  private readonly nextMetricId = [0, 1, 2];

  private constructor(module: WasmModule, private readonly options: MiniHostOptions) {
    const instance = new wasm.Instance(module, { env: this.env() });
    this.exports = instance.exports as unknown as Exports;
    this.memory = instance.exports.memory as WasmMemory;
  }

  static create(bytes: Uint8Array, options: MiniHostOptions = {}): MiniHost {
    return new MiniHost(new wasm.Module(bytes), options);
  }

  /** `_initialize`, context_create(1, 0), vm_start, configure — as on every Envoy worker. */
  start(): { vmStart: boolean; configure: boolean } {
    this.call("_initialize", 0);
    this.call("proxy_on_context_create", ROOT_ID, ROOT_ID, 0);
    const vmStart = this.call("proxy_on_vm_start", ROOT_ID, ROOT_ID, 0) !== 0;
    if (!vmStart) return { vmStart, configure: false };
    const config = new TextEncoder().encode(this.options.pluginConfig ?? "");
    return { vmStart, configure: this.call("proxy_on_configure", ROOT_ID, ROOT_ID, config.length) !== 0 };
  }

  /** Creates a stream and runs on_request_headers; returns the stream id and the action. */
  requestHeadersPhase(headers: readonly HeaderPair[], endOfStream = true): { id: number; action: number } {
    const id = this.nextContextId++;
    this.streams.add(id);
    this.requestHeaders.set(id, headers.map(([k, v]) => [k.toLowerCase(), v]));
    this.call("proxy_on_context_create", id, id, ROOT_ID);
    const action = this.call("proxy_on_request_headers", id, id, headers.length, endOfStream ? 1 : 0);
    return { id, action: action ?? -1 };
  }

  requestBodyPhase(id: number, body: string, endOfStream = true): number {
    const bytes = new TextEncoder().encode(body);
    this.requestBodies.set(id, bytes);
    return this.call("proxy_on_request_body", id, id, bytes.length, endOfStream ? 1 : 0) ?? -1;
  }

  headersOf(id: number): Array<[string, string]> {
    return this.requestHeaders.get(id) ?? [];
  }

  header(id: number, name: string): string | undefined {
    return this.headersOf(id).find(([key]) => key === name)?.[1];
  }

  /** on_http_call_response on the root; `headers` null simulates a reset (0 headers, status 11 "reset"). */
  respond(token: number, headers: Array<[string, string]> | null, body = ""): void {
    const bytes = new TextEncoder().encode(body);
    this.callResponse = headers ? { headers, body: bytes } : null;
    this.lastStatus = headers ? { code: Ok, message: "" } : { code: 11, message: "reset" };
    try {
      this.call("proxy_on_http_call_response", ROOT_ID, ROOT_ID, token, headers ? headers.length : 0, headers ? bytes.length : 0, 0);
    } finally {
      this.callResponse = null;
    }
  }

  tick(): void {
    this.call("proxy_on_tick", ROOT_ID, ROOT_ID);
  }

  /** Envoy's order at stream end: on_log, on_done, on_delete. */
  endStream(id: number): void {
    this.call("proxy_on_log", id, id);
    this.call("proxy_on_done", id, id);
    this.call("proxy_on_delete", id, id);
    this.streams.delete(id);
    this.requestHeaders.delete(id);
  }

  malloc(size: number): number {
    return this.call("malloc", 0, size) ?? 0;
  }

  bytesAt(ptr: number, size: number): Uint8Array {
    return new Uint8Array(this.memory.buffer, ptr, size).slice();
  }

  writeBytes(ptr: number, bytes: Uint8Array): void {
    new Uint8Array(this.memory.buffer).set(bytes, ptr);
  }

  /** Calls any export directly (probe functions); runs as the VM context. */
  invoke(name: string, ...args: number[]): number | undefined {
    return this.call(name, 0, ...args);
  }

  /** Reads an AssemblyScript String or ArrayBuffer returned by an export (rtSize sits 4 bytes before it). */
  managedBytes(ptr: number): Uint8Array {
    const size = new DataView(this.memory.buffer).getUint32(ptr - 4, true);
    return this.bytesAt(ptr, size);
  }

  managedString(ptr: number): string {
    return new TextDecoder("utf-16le").decode(this.managedBytes(ptr));
  }

  private call(name: string, contextId: number, ...args: number[]): number | undefined {
    const fn = this.exports[name];
    if (typeof fn !== "function") throw new Error(`module does not export ${name}`);
    this.effective = contextId;
    try {
      return fn(...args);
    } finally {
      this.effective = 0;
    }
  }

  // ---- guest memory helpers

  private view(): DataView {
    return new DataView(this.memory.buffer);
  }

  private read(ptr: number, size: number): Uint8Array {
    return new Uint8Array(this.memory.buffer, ptr, size).slice();
  }

  private readString(ptr: number, size: number): string {
    return new TextDecoder().decode(this.read(ptr, size));
  }

  /** cpp-host copyToPointerSize: guest malloc for non-empty data, then pointer and size into the slots. */
  private give(bytes: Uint8Array, ptrOut: number, sizeOut: number): number {
    let ptr = 0;
    if (bytes.length > 0) {
      ptr = this.exports.malloc!(bytes.length) as number;
      new Uint8Array(this.memory.buffer).set(bytes, ptr);
    }
    this.view().setUint32(ptrOut, ptr, true);
    this.view().setUint32(sizeOut, bytes.length, true);
    return Ok;
  }

  private headerMap(mapType: number): Array<[string, string]> | null {
    if (mapType === 0) return this.requestHeaders.get(this.effective) ?? null;
    if (mapType === 6) return this.callResponse?.headers ?? null;
    return null;
  }

  private env(): Record<string, (...args: never[]) => number | void> {
    const text = new TextEncoder();
    return {
      proxy_log: (level: number, ptr: number, size: number) => {
        this.logs.push({ level, message: this.readString(ptr, size) });
        return Ok;
      },
      proxy_get_log_level: (out: number) => {
        this.view().setUint32(out, this.options.logLevel ?? 2, true);
        return Ok;
      },
      proxy_get_current_time_nanoseconds: (out: number) => {
        this.view().setBigUint64(out, BigInt((this.options.nowMs ?? Date.now)()) * 1_000_000n + 123_456n, true);
        return Ok;
      },
      proxy_set_tick_period_milliseconds: (ms: number) => {
        this.tickPeriodMs = ms;
        return Ok;
      },
      proxy_get_property: (pathPtr: number, pathSize: number, ptrOut: number, sizeOut: number) => {
        const path = this.readString(pathPtr, pathSize);
        if (path === "plugin_root_id") return this.give(text.encode(this.options.rootId ?? ""), ptrOut, sizeOut);
        const value = this.options.properties?.[path];
        return value === undefined ? NotFound : this.give(text.encode(value), ptrOut, sizeOut);
      },
      proxy_get_buffer_bytes: (type: number, start: number, max: number, ptrOut: number, sizeOut: number) => {
        let buffer: Uint8Array | undefined;
        if (type === 7) buffer = text.encode(this.options.pluginConfig ?? "");
        else if (type === 6) buffer = new Uint8Array(0);
        else if (type === 0) buffer = this.requestBodies.get(this.effective);
        else if (type === 4) buffer = this.callResponse?.body;
        if (!buffer) return NotFound;
        return this.give(buffer.subarray(Math.min(start, buffer.length), Math.min(start + max, buffer.length)), ptrOut, sizeOut);
      },
      proxy_get_header_map_value: (mapType: number, keyPtr: number, keySize: number, ptrOut: number, sizeOut: number) => {
        const map = this.headerMap(mapType);
        if (!map) return BadArgument;
        const key = this.readString(keyPtr, keySize).toLowerCase();
        const entry = map.find(([name]) => name === key);
        return entry ? this.give(text.encode(entry[1]), ptrOut, sizeOut) : NotFound;
      },
      proxy_get_header_map_pairs: (mapType: number, ptrOut: number, sizeOut: number) => {
        const map = this.headerMap(mapType);
        if (!map) return BadArgument;
        return this.give(map.length === 0 ? new Uint8Array(0) : encodePairs(map), ptrOut, sizeOut);
      },
      proxy_set_header_map_pairs: (mapType: number, ptr: number, size: number) => {
        const map = this.headerMap(mapType);
        if (!map || mapType !== 0) return BadArgument;
        this.requestHeaders.set(this.effective, decodePairs(this.read(ptr, size)));
        return Ok;
      },
      proxy_add_header_map_value: (mapType: number, keyPtr: number, keySize: number, valuePtr: number, valueSize: number) => {
        const map = this.headerMap(mapType);
        if (!map || mapType !== 0) return BadArgument;
        map.push([this.readString(keyPtr, keySize).toLowerCase(), this.readString(valuePtr, valueSize)]);
        this.events.push(`add-header ${this.effective} ${this.readString(keyPtr, keySize)}`);
        return Ok;
      },
      proxy_replace_header_map_value: (mapType: number, keyPtr: number, keySize: number, valuePtr: number, valueSize: number) => {
        const map = this.headerMap(mapType);
        if (!map || mapType !== 0) return BadArgument;
        const key = this.readString(keyPtr, keySize).toLowerCase();
        const kept = map.filter(([name]) => name !== key);
        kept.push([key, this.readString(valuePtr, valueSize)]);
        this.requestHeaders.set(this.effective, kept);
        return Ok;
      },
      proxy_remove_header_map_value: (mapType: number, keyPtr: number, keySize: number) => {
        const map = this.headerMap(mapType);
        if (!map || mapType !== 0) return BadArgument;
        const key = this.readString(keyPtr, keySize).toLowerCase();
        this.requestHeaders.set(this.effective, map.filter(([name]) => name !== key));
        return Ok;
      },
      proxy_continue_stream: (streamType: number) => {
        this.events.push(`continue ${this.effective} ${streamType}`);
        return Ok;
      },
      proxy_send_local_response: (
        status: number, detailsPtr: number, detailsSize: number, bodyPtr: number, bodySize: number,
        headersPtr: number, headersSize: number, grpcStatus: number,
      ) => {
        this.events.push(`local-response ${this.effective} ${status}`);
        this.localResponses.push({
          context: this.effective, status, details: this.readString(detailsPtr, detailsSize),
          body: this.readString(bodyPtr, bodySize), headers: decodePairs(this.read(headersPtr, headersSize)), grpcStatus,
        });
        return Ok;
      },
      proxy_set_effective_context: (id: number) => {
        if (id !== ROOT_ID && !this.streams.has(id)) return BadArgument;
        this.effective = id;
        this.events.push(`effective ${id}`);
        return Ok;
      },
      proxy_http_call: (
        clusterPtr: number, clusterSize: number, headersPtr: number, headersSize: number, bodyPtr: number, bodySize: number,
        _trailersPtr: number, _trailersSize: number, timeoutMs: number, tokenOut: number,
      ) => {
        const headers = decodePairs(this.read(headersPtr, headersSize));
        const names = new Set(headers.map(([name]) => name));
        if (![":method", ":path", ":authority"].every((name) => names.has(name))) return BadArgument;
        const token = this.nextToken;
        this.nextToken += 4;
        this.httpCalls.push({ token, cluster: this.readString(clusterPtr, clusterSize), headers, body: this.readString(bodyPtr, bodySize), timeoutMs });
        this.events.push(`http-call ${this.effective} ${token}`);
        this.view().setUint32(tokenOut, token, true);
        return Ok;
      },
      proxy_get_status: (codeOut: number, ptrOut: number, sizeOut: number) => {
        this.view().setUint32(codeOut, this.lastStatus.code, true);
        return this.give(text.encode(this.lastStatus.message), ptrOut, sizeOut);
      },
      proxy_get_shared_data: (keyPtr: number, keySize: number, ptrOut: number, sizeOut: number, casOut: number) => {
        const entry = this.sharedData.get(this.readString(keyPtr, keySize));
        if (!entry) return NotFound;
        this.view().setUint32(casOut, entry.cas, true);
        return this.give(entry.value, ptrOut, sizeOut);
      },
      proxy_set_shared_data: (keyPtr: number, keySize: number, valuePtr: number, valueSize: number, cas: number) => {
        const key = this.readString(keyPtr, keySize);
        const entry = this.sharedData.get(key);
        if (entry && cas !== 0 && cas !== entry.cas) return CasMismatch;
        this.sharedData.set(key, { value: this.read(valuePtr, valueSize), cas: this.nextCas++ });
        return Ok;
      },
      proxy_define_metric: (type: number, namePtr: number, nameSize: number, idOut: number) => {
        if (type > 2) return BadArgument;
        const id = (this.nextMetricId[type]! += 4);
        this.metrics.set(id, { type, name: this.readString(namePtr, nameSize), value: 0n });
        this.view().setUint32(idOut, id, true);
        return Ok;
      },
      proxy_increment_metric: (id: number, delta: bigint) => {
        const metric = this.metrics.get(id);
        if (!metric) return NotFound;
        if (metric.type === 0 && delta <= 0n) return BadArgument;
        metric.value += delta;
        return Ok;
      },
      proxy_record_metric: (id: number, value: bigint) => {
        const metric = this.metrics.get(id);
        if (!metric) return NotFound;
        metric.value = metric.type === 0 ? metric.value + value : value;
        return Ok;
      },
      proxy_get_metric: (id: number, out: number) => {
        const metric = this.metrics.get(id);
        if (!metric) return NotFound;
        if (metric.type === 2) return BadArgument;
        this.view().setBigInt64(out, metric.value, true);
        return Ok;
      },
    } as unknown as Record<string, (...args: never[]) => number | void>;
  }
}
