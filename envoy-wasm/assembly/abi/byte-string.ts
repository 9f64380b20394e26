// Bytes as a byte string — one UTF-16 code unit per byte, 0x00–0xFF — the form in which the core reads what
// arrives on the wire (request headers, the auth service's answer): never through a UTF-8 decoder, which would
// hand the core other characters than the bytes (DECISIONS.md §1.1, §3.3).

/** The `size` bytes at `ptr` as a byte string, widened eight bytes at a time. */
export function byteStringAt(ptr: usize, size: usize): string {
  if (size == 0) return "";
  const words = size & ~<usize>7;
  const out = changetype<string>(__new(size << 1, idof<string>()));
  const to = changetype<usize>(out);
  for (let i: usize = 0; i < words; i += 8) {
    const bytes = load<u64>(ptr + i);
    store<u64>(to + (i << 1), widen(<u32>bytes));
    store<u64>(to + (i << 1), widen(<u32>(bytes >>> 32)), 8);
  }
  for (let i = words; i < size; i++) store<u16>(to + (i << 1), <u16>load<u8>(ptr + i));
  return out;
}

/** Four bytes to four UTF-16 code units. */
// @ts-ignore: decorator
@inline function widen(b: u32): u64 {
  const w = <u64>b;
  return (w & 0xff) | ((w & 0xff00) << 8) | ((w & 0xff0000) << 16) | ((w & 0xff000000) << 24);
}
