// Header-map serialization of ABI 0.2.1: u32 LE count, count × (u32 key length, u32 value length), then every
// key and value as bytes followed by 0x00. Parsing is bounds-checked and returns an empty list on malformed
// input, as proxy-wasm-cpp-host does; it never traps.

import { byteStringAt } from "./byte-string";
import { commitStage, reserveStage } from "./memory";

export class Pair {
  key: string;
  value: string;
  constructor(key: string, value: string) {
    this.key = key;
    this.value = value;
  }
}

/** Bytes enough to serialize `pairs` (UTF-8 needs at most 3 bytes per UTF-16 unit). */
export function pairsSizeBound(pairs: Array<Pair>): usize {
  const count = <usize>pairs.length;
  let bound: usize = 4 + 8 * count;
  for (let i = 0; i < pairs.length; i++) {
    const pair = unchecked(pairs[i]);
    bound += (<usize>pair.key.length + <usize>pair.value.length) * 3 + 2;
  }
  return bound;
}

/** Serializes into `dst` (at least pairsSizeBound bytes) and returns the exact byte count. Keys are UTF-8;
 *  values too, unless `byteValues`: then each value is a byte string (one code unit per byte, 0x00–0xFF) written
 *  byte for byte. */
export function writePairs(pairs: Array<Pair>, dst: usize, byteValues: bool = false): usize {
  const count = <usize>pairs.length;
  store<u32>(dst, <u32>count);
  let lengths = dst + 4;
  let data = lengths + 8 * count;
  for (let i = 0; i < pairs.length; i++) {
    const pair = unchecked(pairs[i]);
    const keySize = String.UTF8.encodeUnsafe(changetype<usize>(pair.key), pair.key.length, data, false);
    store<u8>(data + keySize, 0);
    data += keySize + 1;
    const valueSize = byteValues ? writeBytes(pair.value, data) : String.UTF8.encodeUnsafe(changetype<usize>(pair.value), pair.value.length, data, false);
    store<u8>(data + valueSize, 0);
    data += valueSize + 1;
    store<u32>(lengths, <u32>keySize);
    store<u32>(lengths, <u32>valueSize, 4);
    lengths += 8;
  }
  return data - dst;
}

function writeBytes(text: string, dst: usize): usize {
  const n = <usize>text.length;
  for (let i: usize = 0; i < n; i++) store<u8>(dst + i, <u8>load<u16>(changetype<usize>(text) + (i << 1)));
  return n;
}

/** Serializes into the staging area (valid until the next beginStaging); the size is lastStagedSize(). */
export function stagePairs(pairs: Array<Pair>, byteValues: bool = false): usize {
  const ptr = reserveStage(pairsSizeBound(pairs));
  commitStage(writePairs(pairs, ptr, byteValues));
  return ptr;
}

export function serializePairs(pairs: Array<Pair>): ArrayBuffer {
  const scratch = heap.alloc(pairsSizeBound(pairs));
  const size = writePairs(pairs, scratch);
  const bytes = new ArrayBuffer(<i32>size);
  memory.copy(changetype<usize>(bytes), scratch, size);
  heap.free(scratch);
  return bytes;
}

/** Pairs of the ABI encoding; keys are decoded as UTF-8, values too unless `byteValues`: then each value is a
 *  byte string (one code unit per byte, 0x00–0xFF), the bytes as they are. */
export function deserializePairs(ptr: usize, size: usize, byteValues: bool = false): Array<Pair> {
  const pairs = new Array<Pair>();
  if (size < 4) return pairs;
  const count = <u64>load<u32>(ptr);
  const headerEnd = 4 + 8 * count;
  if (headerEnd > <u64>size) return pairs;
  let data = <u64>headerEnd;
  // Validate every length before decoding anything so a bad map yields no partial result.
  for (let i: u64 = 0; i < count; i++) {
    const keySize = <u64>load<u32>(ptr + 4 + <usize>(8 * i));
    const valueSize = <u64>load<u32>(ptr + 8 + <usize>(8 * i));
    data += keySize + valueSize + 2;
    if (data > <u64>size) return pairs;
  }
  let at = ptr + <usize>headerEnd;
  for (let i: u64 = 0; i < count; i++) {
    const keySize = <usize>load<u32>(ptr + 4 + <usize>(8 * i));
    const valueSize = <usize>load<u32>(ptr + 8 + <usize>(8 * i));
    const key = keySize == 0 ? "" : String.UTF8.decodeUnsafe(at, keySize, false);
    at += keySize + 1;
    const value = valueSize == 0 ? "" : byteValues ? byteStringAt(at, valueSize) : String.UTF8.decodeUnsafe(at, valueSize, false);
    at += valueSize + 1;
    pairs.push(new Pair(key, value));
  }
  return pairs;
}

export function deserializePairsBuffer(bytes: ArrayBuffer): Array<Pair> {
  return deserializePairs(changetype<usize>(bytes), <usize>bytes.byteLength);
}
