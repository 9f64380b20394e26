// proxy-wasm shared data has no delete and no TTL (ABI 0.2.1), so meshgate never writes an unbounded
// set of keys: every record lives in one of a fixed number of slots, chosen by hash, and carries its
// full key so a slot reused by another key reads as a miss.

/** Slot index for a hex digest (uses its first 8 hex digits). */
export function slotOfHex(hex: string, slots: i32): i32 {
  let h: u32 = 0;
  const n = min(8, hex.length);
  for (let i = 0; i < n; i++) {
    const c = hex.charCodeAt(i);
    const d: u32 = c <= 0x39 ? u32(c - 0x30) : u32((c | 0x20) - 0x61 + 10);
    h = (h << 4) | (d & 15);
  }
  return i32(h % u32(slots));
}

/** `<key>\n<payload>` — the payload of a slot whose key matches, else null. */
export function payloadFor(record: string, key: string): string | null {
  if (record.length <= key.length || !record.startsWith(key) || record.charCodeAt(key.length) != 0x0a) return null;
  return record.substring(key.length + 1);
}

export function recordOf(key: string, payload: string): string {
  return key + "\n" + payload;
}
