// Buffers a context exposes through proxy_get_buffer_bytes / proxy_set_buffer_bytes.

import { WasmResult } from "./abi.js";

export interface HostBuffer {
  bytes(): Uint8Array;
  /** Envoy Buffer::copyFrom semantics; returns a WasmResult. */
  copyFrom(start: number, length: number, data: Uint8Array): number;
}

/** A body buffer the filter may modify (Envoy Buffer with a buffer instance). */
export class MutableBuffer implements HostBuffer {
  constructor(public data: Buffer = Buffer.alloc(0)) {}
  bytes(): Uint8Array { return this.data; }
  copyFrom(start: number, length: number, data: Uint8Array): number {
    if (start === 0) {
      const rest = this.data.subarray(Math.min(length, this.data.length));
      this.data = Buffer.concat([data, rest]);
      return WasmResult.Ok;
    }
    if (start >= this.data.length) {
      this.data = Buffer.concat([this.data, data]);
      return WasmResult.Ok;
    }
    return WasmResult.BadArgument;
  }
}

/** Read-only data (configuration, http call response body). */
export class ConstBuffer implements HostBuffer {
  constructor(private readonly data: Uint8Array) {}
  bytes(): Uint8Array { return this.data; }
  copyFrom(): number { return WasmResult.BadArgument; }
}

/** What Envoy hands out when no body is attached: size 0, not writable. */
export const EMPTY_BUFFER: HostBuffer = {
  bytes: () => new Uint8Array(0),
  copyFrom: () => WasmResult.Unimplemented,
};
