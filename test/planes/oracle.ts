// Independent reference computations for plane tests (not the core's code): FNV-1a 32 over UTF-8.
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/** Canary bucket as README defines it: fnv1a32(utf8(salt + ":" + key)) % 10000. */
export function canaryBucket(salt: string, key: string): number {
  return fnv1a32(`${salt}:${key}`) % 10000;
}
