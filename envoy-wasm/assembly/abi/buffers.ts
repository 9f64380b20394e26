import { BufferType, WasmResult } from "./enums";
import { proxy_get_buffer_bytes, proxy_get_buffer_status, proxy_set_buffer_bytes } from "./imports";
import { clearResultSlots, discardResult, RESULT_EXTRA, RESULT_PTR, RESULT_SIZE, takeResultBytes, takeResultString } from "./memory";

/** Up to `maxSize` bytes from `start`; null when the buffer does not exist now (status NotFound etc.). */
export function getBufferBytes(type: BufferType, start: usize, maxSize: usize): ArrayBuffer | null {
  clearResultSlots();
  if (proxy_get_buffer_bytes(<u32>type, start, maxSize, RESULT_PTR, RESULT_SIZE) != WasmResult.Ok) {
    discardResult();
    return null;
  }
  return takeResultBytes();
}

/** Like getBufferBytes, decoded as UTF-8. */
export function getBufferString(type: BufferType, start: usize, maxSize: usize): string | null {
  clearResultSlots();
  if (proxy_get_buffer_bytes(<u32>type, start, maxSize, RESULT_PTR, RESULT_SIZE) != WasmResult.Ok) {
    discardResult();
    return null;
  }
  return takeResultString();
}

/** Current size of the buffer in bytes, or -1 when it does not exist now. */
export function getBufferSize(type: BufferType): i64 {
  clearResultSlots();
  if (proxy_get_buffer_status(<u32>type, RESULT_SIZE, RESULT_EXTRA) != WasmResult.Ok) return -1;
  return <i64>load<u32>(RESULT_SIZE);
}

/** Envoy accepts only: start 0 + size 0 (prepend), start >= length (append), start 0 + size >= length (replace). */
export function setBufferBytes(type: BufferType, start: usize, size: usize, data: ArrayBuffer): WasmResult {
  return proxy_set_buffer_bytes(<u32>type, start, size, changetype<usize>(data), <usize>data.byteLength);
}
