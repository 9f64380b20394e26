// Bounds-checked access to a VM's linear memory. Views are recreated whenever the memory grows
// (growing detaches the old ArrayBuffer). Pointers from the guest arrive as signed i32 and are
// normalised with `>>> 0` by the callers.

import type { WasmMemory } from "./wasm-api.js";

export class GuestMemory {
  private cachedBuffer: ArrayBuffer | null = null;
  private bytes = new Uint8Array(0);
  private view = new DataView(new ArrayBuffer(0));

  /** `alloc` calls the guest's malloc and returns 0 on failure. */
  constructor(private readonly memory: WasmMemory, private readonly alloc: (size: number) => number) {}

  private refresh(): void {
    const buffer = this.memory.buffer;
    if (buffer !== this.cachedBuffer) {
      this.cachedBuffer = buffer;
      this.bytes = new Uint8Array(buffer);
      this.view = new DataView(buffer);
    }
  }

  private inBounds(ptr: number, len: number): boolean {
    this.refresh();
    return ptr + len <= this.bytes.length;
  }

  /** A view (not a copy) valid until the next guest call; null when out of bounds. */
  view8(ptr: number, len: number): Uint8Array | null {
    if (!this.inBounds(ptr, len)) return null;
    return this.bytes.subarray(ptr, ptr + len);
  }

  copy(ptr: number, len: number): Uint8Array | null {
    const v = this.view8(ptr, len);
    return v ? Uint8Array.from(v) : null;
  }

  /** Bytes as a latin1 string (byte-exact), or null when out of bounds. */
  latin1(ptr: number, len: number): string | null {
    const v = this.view8(ptr, len);
    return v ? Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("latin1") : null;
  }

  utf8(ptr: number, len: number): string | null {
    const v = this.view8(ptr, len);
    return v ? Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("utf8") : null;
  }

  writeU32(ptr: number, value: number): boolean {
    if (!this.inBounds(ptr, 4)) return false;
    this.view.setUint32(ptr, value >>> 0, true);
    return true;
  }

  writeU16(ptr: number, value: number): boolean {
    if (!this.inBounds(ptr, 2)) return false;
    this.view.setUint16(ptr, value, true);
    return true;
  }

  writeU64(ptr: number, value: bigint): boolean {
    if (!this.inBounds(ptr, 8)) return false;
    this.view.setBigUint64(ptr, BigInt.asUintN(64, value), true);
    return true;
  }

  readU32(ptr: number): number | null {
    if (!this.inBounds(ptr, 4)) return null;
    return this.view.getUint32(ptr, true);
  }

  write(ptr: number, data: Uint8Array): boolean {
    if (!this.inBounds(ptr, data.length)) return false;
    this.bytes.set(data, ptr);
    return true;
  }

  /** cpp-host copyToPointerSize: empty data writes (0, 0) without calling malloc. */
  copyToPointerSize(data: Uint8Array, ptrPtr: number, sizePtr: number): boolean {
    let ptr = 0;
    if (data.length > 0) {
      ptr = this.alloc(data.length) >>> 0;
      if (ptr === 0 || !this.write(ptr, data)) return false;
    }
    return this.writeU32(ptrPtr, ptr) && this.writeU32(sizePtr, data.length);
  }
}
