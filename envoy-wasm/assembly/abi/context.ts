// Context classes the filter extends, and the registry that maps host context ids to them.
// The host creates one root context per plugin (id 1 in each worker VM) and one HTTP context per stream
// (ids 2, 3, … from a per-VM counter). Every callback has a do-nothing default.

import { Action } from "./enums";

export class RootContext {
  readonly id: u32;
  /** The plugin_root_id this context was created for (Istio WasmPlugin: spec.pluginName). */
  rootId: string = "";

  constructor(id: u32) {
    this.id = id;
  }

  /** Once per VM; false marks the VM failed. */
  onVmStart(vmConfiguration: string): bool {
    return true;
  }

  /** Deprecated host hook kept for hosts that still call proxy_validate_configuration. */
  validateConfiguration(configuration: string): bool {
    return true;
  }

  /** Plugin configuration (Istio: pluginConfig as JSON text); false rejects it (VM failed / config NACKed). */
  onConfigure(configuration: string): bool {
    return true;
  }

  onTick(): void {}

  onQueueReady(queueId: u32): void {}

  onForeignFunction(functionId: u32, argumentsSize: usize): void {}

  /** One per HTTP stream; override to return your own HttpContext subclass. */
  createHttpContext(id: u32): HttpContext {
    return new HttpContext(id, this);
  }

  /** Answer to an http call issued with httpCall (not dispatchHttpCall). numHeaders 0 means the call failed. */
  onHttpCallResponse(token: u32, numHeaders: u32, bodySize: usize, numTrailers: u32): void {}

  /** false: the root still has work and will call done() later. */
  onDone(): bool {
    return true;
  }

  onDelete(): void {}
}

export class HttpContext {
  readonly id: u32;
  readonly root: RootContext;

  constructor(id: u32, root: RootContext) {
    this.id = id;
    this.root = root;
  }

  onRequestHeaders(numHeaders: u32, endOfStream: bool): Action {
    return Action.Continue;
  }

  /** Not called while the request is paused from onRequestHeaders; buffered body arrives after resume. */
  onRequestBody(bodySize: usize, endOfStream: bool): Action {
    return Action.Continue;
  }

  onRequestTrailers(numTrailers: u32): Action {
    return Action.Continue;
  }

  onResponseHeaders(numHeaders: u32, endOfStream: bool): Action {
    return Action.Continue;
  }

  onResponseBody(bodySize: usize, endOfStream: bool): Action {
    return Action.Continue;
  }

  onResponseTrailers(numTrailers: u32): Action {
    return Action.Continue;
  }

  /**
   * Answer to a call made with dispatchHttpCall(this, …). The stream is already the effective context, so
   * header writes, continueStream and sendLocalResponse act on it. numHeaders 0 means the call failed
   * (getStatus() tells why); the call-response maps and body are readable only during this callback.
   */
  onHttpCallResponse(token: u32, numHeaders: u32, bodySize: usize, numTrailers: u32): void {}

  /** Access-log time: Envoy calls onLog, then onDone, then onDelete. Header maps are read-only here. */
  onLog(): void {}

  onDone(): void {}

  onDelete(): void {}
}

export type RootFactory = (id: u32) => RootContext;

const factories = new Map<string, RootFactory>();
const roots = new Map<u32, RootContext>();
const streams = new Map<u32, HttpContext>();
// Root contexts whose plugin_root_id had no factory: remembered so vm_start can fail with a clear message.
const unboundRoots = new Map<u32, string>();

/** Call from top-level code of the entry file (runs in _initialize). Registering a rootId again replaces it. */
export function registerRoot(rootId: string, factory: (id: u32) => RootContext): void {
  factories.set(rootId, factory);
}

export function registeredRootIds(): Array<string> {
  return factories.keys();
}

export function getRootContext(id: u32): RootContext | null {
  return roots.has(id) ? roots.get(id) : null;
}

// A stream's callbacks arrive one after another (create, headers, log, done, delete): the last stream looked up
// answers them without hashing its id twice (Map has no lookup that answers "absent" without a second probe).
let lastStreamId: u32 = 0;
let lastStream: HttpContext | null = null;

/** The live HTTP context with this id, or null once it was deleted. */
export function getHttpContext(id: u32): HttpContext | null {
  if (id == lastStreamId && lastStream != null) return lastStream;
  if (!streams.has(id)) return null;
  const stream = streams.get(id);
  lastStreamId = id;
  lastStream = stream;
  return stream;
}

export function createRootContext(id: u32, rootId: string): RootContext | null {
  if (!factories.has(rootId)) {
    unboundRoots.set(id, rootId);
    return null;
  }
  const factory = factories.get(rootId);
  const root = factory(id);
  root.rootId = rootId;
  roots.set(id, root);
  return root;
}

/** The plugin_root_id a root context asked for when no factory matched it, or null. */
export function unboundRootId(id: u32): string | null {
  return unboundRoots.has(id) ? unboundRoots.get(id) : null;
}

export function createHttpContextUnder(id: u32, parentId: u32): HttpContext | null {
  if (!roots.has(parentId)) return null;
  const stream = roots.get(parentId).createHttpContext(id);
  streams.set(id, stream);
  lastStreamId = id;
  lastStream = stream;
  return stream;
}

export function forgetContext(id: u32): void {
  if (id == lastStreamId) lastStream = null;
  // Ids are never shared between a stream and a root: a stream (every request) costs one lookup, not three.
  if (streams.delete(id)) return;
  roots.delete(id);
  unboundRoots.delete(id);
}
