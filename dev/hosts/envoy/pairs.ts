// proxy-wasm pairs encoding (little-endian): u32 N, N × (u32 key_len, u32 value_len), then each
// key and value followed by a NUL byte. Keys and values are byte strings held as latin1 JS strings
// so that every byte round-trips unchanged.

import { Limits } from "./abi.js";

export type Pair = readonly [string, string];

export function serializePairs(pairs: readonly Pair[]): Uint8Array {
  let size = 4;
  for (const [k, v] of pairs) size += 8 + k.length + v.length + 2;
  const out = Buffer.alloc(size);
  out.writeUInt32LE(pairs.length, 0);
  let lenPos = 4;
  let dataPos = 4 + pairs.length * 8;
  for (const [k, v] of pairs) {
    out.writeUInt32LE(k.length, lenPos);
    out.writeUInt32LE(v.length, lenPos + 4);
    lenPos += 8;
    dataPos += out.write(k, dataPos, "latin1") + 1;
    dataPos += out.write(v, dataPos, "latin1") + 1;
  }
  return out;
}

/**
 * Strict parse like cpp-host PairsUtil::toPairs: any violation (short buffer, missing NUL, trailing
 * bytes, more than 1024 pairs, more than 1 MiB) yields an empty list, never an error.
 */
export function parsePairs(data: Uint8Array): Pair[] {
  if (data.length > Limits.pairsMaxBytes || data.length < 4) return [];
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const count = view.getUint32(0, true);
  if (count > Limits.pairsMaxCount) return [];
  let pos = 4;
  if (pos + count * 8 > data.length) return [];
  const sizes: Array<[number, number]> = [];
  for (let i = 0; i < count; i++) {
    sizes.push([view.getUint32(pos, true), view.getUint32(pos + 4, true)]);
    pos += 8;
  }
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const pairs: Pair[] = [];
  for (const [keyLen, valueLen] of sizes) {
    if (pos + keyLen + 1 > data.length || data[pos + keyLen] !== 0) return [];
    const key = buf.toString("latin1", pos, pos + keyLen);
    pos += keyLen + 1;
    if (pos + valueLen + 1 > data.length || data[pos + valueLen] !== 0) return [];
    const value = buf.toString("latin1", pos, pos + valueLen);
    pos += valueLen + 1;
    pairs.push([key, value]);
  }
  return pos === data.length ? pairs : [];
}
