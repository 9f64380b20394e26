// The `kong` object a plugin's handler receives: kong-pdk's PDK surface (pdk.js). Any property path is a callable
// stub; calling `kong.request.getHeader("x")` asks Kong to run `kong.request.get_header("x")` (camelCase turned
// into snake_case the way kong-pdk does it: each lower-case letter followed by an upper-case one becomes
// `a_b`, so `getHTTPVersion` is `get_hTTPVersion`). `kong.response.exit` and `kong.response.error` resolve at
// once: Kong never answers them.
//
// Paths are compiled once per process into a tree of method names; a handler's stubs are made per event, only
// for the paths it touches, and reused within the event.

export interface PdkCaller {
  /** Sends `method(...args)` to Kong; resolves with Kong's answer. */
  call(method: string, args: unknown[]): Promise<unknown>;
  /** This event's stubs by path index (made on first use). */
  stubs: Array<PdkStub | undefined> | null;
}

export type PdkStub = ((...args: unknown[]) => Promise<unknown>) & Record<string, unknown>;

class MethodPath {
  private readonly children = new Map<string, MethodPath>();

  constructor(readonly method: string, readonly index: number) {}

  child(prop: string): MethodPath {
    const known = this.children.get(prop);
    if (known) return known;
    const method = `${this.method}.${snakeCase(prop)}`;
    // Plugins may build property names from request data: past this many paths, stop remembering new ones.
    if (paths.length >= MAX_REMEMBERED_PATHS) return new MethodPath(method, -1);
    const path = new MethodPath(method, paths.length);
    paths.push(path);
    this.children.set(prop, path);
    return path;
  }
}

const MAX_REMEMBERED_PATHS = 4096;
const paths: MethodPath[] = [];
const ROOT = new MethodPath("kong", 0);
paths.push(ROOT);

export function snakeCase(name: string): string {
  return name.replace(/[a-z][A-Z]/g, (pair) => (pair[0]! + "_" + pair[1]!).toLowerCase());
}

interface StubTarget {
  (...args: unknown[]): Promise<unknown>;
  // Not `caller`: Function.prototype.caller throws on strict-mode functions.
  event: PdkCaller;
  path: MethodPath;
}

const STUB_HANDLER: ProxyHandler<StubTarget> = {
  get(target, prop) {
    if (typeof prop !== "string") return undefined;
    return stubFor(target.event, target.path.child(prop));
  },
};

function stubFor(caller: PdkCaller, path: MethodPath): PdkStub {
  const cached = path.index >= 0 && caller.stubs !== null ? caller.stubs[path.index] : undefined;
  if (cached) return cached;
  const method = path.method;
  const target = ((...args: unknown[]) => caller.call(method, args)) as StubTarget;
  target.event = caller;
  target.path = path;
  const stub = new Proxy(target, STUB_HANDLER) as unknown as PdkStub;
  if (path.index >= 0) (caller.stubs ??= [])[path.index] = stub;
  return stub;
}

/** The `kong` object for one event. */
export function pdkFor(caller: PdkCaller): PdkStub {
  return stubFor(caller, ROOT);
}
