// Independent TypeScript implementation of the proxy-wasm header-pairs encoding (spec v0.2.1 §"Header maps"),
// used to check the AssemblyScript one.

export type HeaderPair = readonly [string, string];

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodePairs(pairs: readonly HeaderPair[]): Uint8Array {
  const encoded = pairs.map(([key, value]) => [encoder.encode(key), encoder.encode(value)] as const);
  const dataSize = encoded.reduce((sum, [key, value]) => sum + key.length + value.length + 2, 0);
  const bytes = new Uint8Array(4 + 8 * pairs.length + dataSize);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, pairs.length, true);
  let at = 4 + 8 * pairs.length;
  encoded.forEach(([key, value], index) => {
    view.setUint32(4 + 8 * index, key.length, true);
    view.setUint32(8 + 8 * index, value.length, true);
    bytes.set(key, at);
    at += key.length + 1;
    bytes.set(value, at);
    at += value.length + 1;
  });
  return bytes;
}

export function decodePairs(bytes: Uint8Array): Array<[string, string]> {
  if (bytes.length < 4) return [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = view.getUint32(0, true);
  const pairs: Array<[string, string]> = [];
  let at = 4 + 8 * count;
  if (at > bytes.length) throw new Error(`pairs: header of ${count} entries exceeds ${bytes.length} bytes`);
  for (let index = 0; index < count; index++) {
    const keySize = view.getUint32(4 + 8 * index, true);
    const valueSize = view.getUint32(8 + 8 * index, true);
    if (at + keySize + valueSize + 2 > bytes.length) throw new Error(`pairs: entry ${index} overruns the buffer`);
    if (bytes[at + keySize] !== 0 || bytes[at + keySize + 1 + valueSize] !== 0) {
      throw new Error(`pairs: entry ${index} is not NUL-terminated`);
    }
    const key = decoder.decode(bytes.subarray(at, at + keySize));
    at += keySize + 1;
    pairs.push([key, decoder.decode(bytes.subarray(at, at + valueSize))]);
    at += valueSize + 1;
  }
  if (at !== bytes.length) throw new Error(`pairs: ${bytes.length - at} trailing bytes`);
  return pairs;
}
