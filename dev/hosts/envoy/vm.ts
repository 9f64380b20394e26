// One wasm VM (a worker's thread-local VM, or the canary): the instance, its contexts and the
// call discipline of proxy-wasm-cpp-host — effective context reset on every host→VM entry,
// "after VM call" actions run once the outermost callback returns, a trap fails the VM for good.

import { LogLevel, type AbiVersion } from "./abi.js";
import type { HostClock } from "./clock.js";
import { RootContext, StreamContext, VmContext, type ContextBase } from "./contexts.js";
import { GuestMemory } from "./guest-memory.js";
import type { HeaderMap } from "./header-map.js";
import { HostTrap } from "./host-call.js";
import { buildHostImports } from "./host-functions.js";
import type { LoadedModule } from "./load.js";
import type { MetricStore, Stat } from "./metrics.js";
import type { QueueConsumer, SharedDataStore, SharedQueueRegistry } from "./shared-data.js";
import type { StreamCallbacks } from "./stream-types.js";
import { isWasmMemory, Wasm, type WasmImports, type WasmMemory } from "./wasm-api.js";

export type HttpCallOutcome =
  | { kind: "response"; headers: HeaderMap; body: Uint8Array; trailers: HeaderMap }
  | { kind: "reset" };

export interface HttpCallDispatcher {
  hasCluster(name: string): boolean;
  /** Starts a call; `done` may run synchronously (inline failure). Returns a cancel function. */
  httpCall(cluster: string, headers: HeaderMap, body: Uint8Array, timeoutMs: number,
    done: (outcome: HttpCallOutcome) => void): () => void;
}

export interface HostCounters {
  hostCalls: number;
  hostNs: bigint;
  guestNs: bigint;
}

/** Everything a VM shares with its host (one "Envoy process"). */
export interface VmEnvironment {
  readonly rootId: string;
  readonly pluginName: string;
  readonly vmId: string;
  readonly vmConfig: Uint8Array;
  readonly pluginConfig: Uint8Array;
  readonly logLevel: number;
  readonly failOpen: boolean;
  readonly metrics: MetricStore;
  readonly sharedData: SharedDataStore;
  readonly queues: SharedQueueRegistry;
  readonly httpCalls: HttpCallDispatcher;
  readonly counters: HostCounters;
  /** Wall-clock time and tick timers. */
  readonly clock: HostClock;
  log(worker: number, level: number, message: string, source: "wasm" | "host"): void;
}

type GuestFn = (...args: Array<number | bigint>) => unknown;

/** Host calls allowed while `_initialize` runs (cpp-host WasmBase::startVm). */
const INITIALIZE_ALLOWED = new Set<string>([
  "env.emscripten_notify_memory_growth", "env.proxy_log",
  ...["fd_write", "args_sizes_get", "args_get", "environ_sizes_get", "environ_get", "clock_time_get",
    "clock_res_get", "random_get", "poll_oneoff", "fd_fdstat_get", "fd_fdstat_set_flags", "fd_advise",
    "fd_allocate", "fd_datasync", "fd_fdstat_set_rights", "fd_filestat_get", "fd_filestat_set_size",
    "fd_filestat_set_times", "fd_pread", "fd_prestat_dir_name", "fd_prestat_get", "fd_pwrite", "fd_readdir",
    "fd_renumber", "fd_sync", "fd_tell", "path_create_directory", "path_filestat_get",
    "path_filestat_set_times", "path_link", "path_readlink", "path_remove_directory", "path_rename",
    "path_symlink", "path_unlink_file", "sock_accept", "sock_recv", "sock_send", "sock_shutdown"]
    .flatMap((f) => [`wasi_unstable.${f}`, `wasi_snapshot_preview1.${f}`]),
]);

/** Host calls allowed while the guest's malloc runs (cpp-host WasmBase::allocMemory). */
const MALLOC_ALLOWED = new Set<string>([
  "env.proxy_log", "wasi_unstable.fd_write", "wasi_snapshot_preview1.fd_write",
  "wasi_unstable.clock_time_get", "wasi_snapshot_preview1.clock_time_get",
  "wasi_unstable.poll_oneoff", "wasi_snapshot_preview1.poll_oneoff",
]);

function describeFailure(err: unknown): string {
  if (err instanceof Wasm.RuntimeError || err instanceof HostTrap || err instanceof RangeError) {
    const frames = (err.stack ?? "").split("\n").filter((l) => l.includes("wasm")).slice(0, 8);
    const trace = frames.length ? `\nProxy-Wasm plugin in-VM backtrace:\n${frames.map((f) => `  ${f.trim()}`).join("\n")}` : "";
    return `Uncaught ${err.name}: ${err.message}${trace}`;
  }
  const detail = err instanceof Error ? (err.stack ?? err.message) : String(err);
  return `host error while the VM was running (treated as a VM failure): ${detail}`;
}

export class WasmVm implements QueueConsumer {
  readonly contexts = new Map<number, ContextBase>();
  readonly vmContext: VmContext;
  rootContext: RootContext | null = null;
  failed = false;
  failure: string | null = null;
  private disposed = false;

  private readonly exportsByName = new Map<string, GuestFn>();
  readonly memory: GuestMemory;
  private current: ContextBase | null = null;
  private effectiveId = 0;
  private readonly afterActions: Array<() => void> = [];
  private stopIteration = false;
  /** Set while only some host calls are allowed (cpp-host "restricted callback"). */
  restricted: ReadonlySet<string> | null = null;
  private nextContextId = 0;
  private httpCallId = 0;

  readonly metricIds = new Map<number, Stat>();
  private readonly nextMetricId = [0, 1, 2];
  /** Root context id → cancel of its pending tick. */
  private readonly tickTimers = new Map<number, () => void>();

  private constructor(readonly env: VmEnvironment, readonly index: number, readonly abi: AbiVersion,
    instanceExports: Record<string, unknown>, memory: WasmMemory) {
    for (const [name, value] of Object.entries(instanceExports)) {
      if (typeof value === "function") this.exportsByName.set(name, value as GuestFn);
    }
    const malloc = this.exportsByName.get("malloc") ?? this.exportsByName.get("proxy_on_memory_allocate");
    this.memory = new GuestMemory(memory, (size) => this.allocMemory(malloc, size));
    this.vmContext = new VmContext(this);
    this.contexts.set(0, this.vmContext);
  }

  /** Instantiates one VM of the module. Throws a readable error if instantiation itself fails. */
  static instantiate(env: VmEnvironment, index: number, loaded: LoadedModule): WasmVm {
    let vm: WasmVm | null = null;
    const vmRef = (): WasmVm => {
      if (!vm) throw new HostTrap("host call during instantiation (start function)");
      return vm;
    };
    const imports: WasmImports = buildHostImports(vmRef);
    let importedMemory: WasmMemory | null = null;
    if (loaded.memoryImport) {
      const { module, name, initial, maximum } = loaded.memoryImport;
      importedMemory = new Wasm.Memory(maximum === undefined ? { initial } : { initial, maximum });
      imports[module] = { ...(imports[module] ?? {}), [name]: importedMemory };
    }
    const instance = new Wasm.Instance(loaded.module, imports);
    const exported = Object.values(instance.exports).find(isWasmMemory);
    const memory = importedMemory ?? exported;
    if (!memory) throw new Error("Wasm module has no memory");
    vm = new WasmVm(env, index, loaded.abi, instance.exports, memory);
    return vm;
  }

  get alive(): boolean { return !this.disposed; }
  get nextIterationStopped(): boolean { return this.stopIteration; }
  get inVmCall(): boolean { return this.current !== null; }

  hasExport(name: string): boolean { return this.exportsByName.has(name); }

  log(level: number, message: string, source: "wasm" | "host" = "wasm"): void {
    if (level < this.env.logLevel) return;
    this.env.log(this.index, level, message, source);
  }

  fail(message: string): void {
    if (this.failed) return;
    this.failed = true;
    this.failure = message;
    this.env.log(this.index, LogLevel.error, message, "host");
    const who = this.index < 0 ? "canary VM" : `VM of worker ${this.index}`;
    const mode = this.env.failOpen ? "pass through (fail_open)" : "get a local 503 wasm_fail_stream";
    this.env.log(this.index, LogLevel.error, `${who} is now failed; its streams ${mode}`, "host");
  }

  /**
   * Runs one guest export with `ctx` as current context and no effective context.
   * Returns undefined if the export is missing or the call trapped (the VM is then failed).
   */
  call(ctx: ContextBase, name: string, args: Array<number | bigint>): number | undefined {
    const fn = this.exportsByName.get(name);
    if (!fn || this.failed) return undefined;
    const savedCurrent = this.current;
    const savedEffective = this.effectiveId;
    this.current = ctx;
    this.effectiveId = 0;
    const counters = this.env.counters;
    const hostBefore = counters.hostNs;
    const t0 = process.hrtime.bigint();
    try {
      const r = fn(...args);
      return typeof r === "number" ? r >>> 0 : undefined;
    } catch (err) {
      this.fail(`Function: ${name} failed: ${describeFailure(err)}`);
      return undefined;
    } finally {
      const elapsed = process.hrtime.bigint() - t0;
      if (savedCurrent === null) counters.guestNs += elapsed - (counters.hostNs - hostBefore);
      this.current = savedCurrent;
      this.effectiveId = savedEffective;
    }
  }

  /** cpp-host DeferAfterCallActions: reset stopNextIteration and drain deferred actions. */
  withAfterActions<T>(fn: () => T): T {
    try {
      return fn();
    } finally {
      this.stopIteration = false;
      while (this.afterActions.length > 0 && !this.disposed) {
        const action = this.afterActions.shift();
        action?.();
      }
    }
  }

  addAfterVmCallAction(action: () => void): void { this.afterActions.push(action); }
  stopNextIteration(): void { this.stopIteration = true; }

  /** contextOrEffectiveContext(): the effective context if set and still alive, else the current one. */
  contextOrEffective(): ContextBase {
    const current = this.current ?? this.vmContext;
    if (this.effectiveId === 0) return current;
    return this.contexts.get(this.effectiveId) ?? current;
  }

  setEffectiveContext(id: number): boolean {
    if (!this.contexts.has(id)) return false;
    this.effectiveId = id;
    return true;
  }

  private allocMemory(malloc: GuestFn | undefined, size: number): number {
    if (!malloc) return 0;
    const saved = this.restricted;
    this.restricted = MALLOC_ALLOWED;
    const t0 = process.hrtime.bigint();
    try {
      const r = malloc(size);
      return typeof r === "number" ? r >>> 0 : 0;
    } finally {
      // malloc runs inside a host call; count it as guest time, not host time.
      this.env.counters.hostNs -= process.hrtime.bigint() - t0;
      this.restricted = saved;
    }
  }

  /** Runs `_initialize` (or `_start`) with restricted host calls, as cpp-host startVm does. */
  initialize(): boolean {
    this.restricted = INITIALIZE_ALLOWED;
    try {
      if (this.hasExport("_initialize")) {
        this.call(this.vmContext, "_initialize", []);
        if (this.hasExport("main")) this.call(this.vmContext, "main", [0, 0]);
        else if (this.hasExport("__main_void")) this.call(this.vmContext, "__main_void", []);
      } else if (this.hasExport("_start")) {
        this.call(this.vmContext, "_start", []);
      }
    } finally {
      this.restricted = null;
    }
    return !this.failed;
  }

  allocContextId(): number { return ++this.nextContextId; }

  /** WasmBase::start + configure: creates the root context and runs vm_start and configure. */
  startPlugin(): { started: boolean; configured: boolean } {
    const root = new RootContext(this, this.allocContextId());
    this.contexts.set(root.id, root);
    this.rootContext = root;
    if (!root.onStart()) return { started: false, configured: false };
    return { started: true, configured: root.onConfigure() };
  }

  createStreamContext(callbacks: StreamCallbacks): StreamContext {
    const root = this.rootContext;
    if (!root) throw new Error("VM has no root context");
    const ctx = new StreamContext(this, this.allocContextId(), root, callbacks);
    this.contexts.set(ctx.id, ctx);
    return ctx;
  }

  releaseStreamContext(ctx: StreamContext): void { this.contexts.delete(ctx.id); }

  nextHttpCallId(): number {
    this.httpCallId = (this.httpCallId + 4) >>> 0;
    return this.httpCallId;
  }

  defineMetric(type: number, stat: Stat): number {
    const id = (this.nextMetricId[type] ?? type) + 4;
    this.nextMetricId[type] = id;
    this.metricIds.set(id, stat);
    return id;
  }

  /** Delivers an http call result to the root context, never re-entrantly. */
  deliverHttpCall(root: RootContext, token: number, outcome: HttpCallOutcome): void {
    if (this.inVmCall) {
      this.addAfterVmCallAction(() => this.deliverHttpCall(root, token, outcome));
      return;
    }
    if (this.disposed || !root.httpCalls.has(token)) return;
    if (outcome.kind === "response") {
      root.httpCallResponse = outcome;
      root.onHttpCallResponse(token, outcome.headers.size, outcome.body.length, outcome.trailers.size, () => {
        root.httpCallResponse = null;
        root.httpCalls.delete(token);
      });
    } else {
      root.statusCode = 11;
      root.statusMessage = "reset";
      root.onHttpCallResponse(token, 0, 0, 0, () => {
        root.statusMessage = "";
        root.httpCalls.delete(token);
      });
    }
  }

  setTickPeriod(root: RootContext, periodMs: number): void {
    this.tickTimers.get(root.id)?.();
    this.tickTimers.delete(root.id);
    if (periodMs <= 0 || this.disposed) return;
    const arm = (): void => {
      const cancel = this.env.clock.schedule(periodMs, () => {
        if (this.disposed || this.tickTimers.get(root.id) !== cancel) return;
        root.onTick();
        if (this.tickTimers.get(root.id) === cancel) arm();
      });
      this.tickTimers.set(root.id, cancel);
    };
    arm();
  }

  postQueueReady(rootContextId: number, token: number): void {
    setImmediate(() => {
      if (this.disposed) return;
      const ctx = this.contexts.get(rootContextId);
      if (ctx instanceof RootContext) ctx.onQueueReady(token);
    });
  }

  /** Plugin teardown (on_done then on_delete on the root) and release of timers and calls. */
  shutdown(): void {
    if (this.disposed) return;
    const root = this.rootContext;
    if (root && !this.failed) {
      if (root.onDone()) root.onDelete();
      else root.pendingDone = true;
    }
    this.dispose();
  }

  /** Drops the VM without calling into it (the canary is killed this way). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const cancel of this.tickTimers.values()) cancel();
    this.tickTimers.clear();
    for (const ctx of this.contexts.values()) if (ctx instanceof RootContext) ctx.cancelHttpCalls();
    this.afterActions.length = 0;
  }

}
