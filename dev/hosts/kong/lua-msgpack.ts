// MessagePack as Kong's mp_rpc.lua speaks it. Lua strings are bytes, so Kong sends every string as a msgpack
// `str` holding those bytes unchanged, and reads every `str` or `bin` it receives back as bytes. The host holds
// such bytes as latin1 byte strings (one char per byte): this codec maps them 1:1 onto the wire, so a header
// value 0xE9 reaches the plugin server as the single byte 0xE9 — never re-encoded as UTF-8.
import { Decoder } from "@msgpack/msgpack";

class ByteWriter {
  private buffer = Buffer.alloc(256);
  length = 0;

  private ensure(extra: number): void {
    if (this.length + extra <= this.buffer.length) return;
    const grown = Buffer.alloc(Math.max(this.buffer.length * 2, this.length + extra));
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
  }

  u8(value: number): void {
    this.ensure(1);
    this.buffer[this.length++] = value;
  }

  head(tag: number, size: number, value: number | bigint): void {
    this.ensure(1 + size);
    this.buffer[this.length] = tag;
    const at = this.length + 1;
    if (size === 1) this.buffer.writeUInt8(Number(value), at);
    else if (size === 2) this.buffer.writeUInt16BE(Number(value), at);
    else if (size === 4) this.buffer.writeUInt32BE(Number(value), at);
    else if (size === 8) this.buffer.writeBigUInt64BE(BigInt.asUintN(64, BigInt(value)), at);
    this.length += 1 + size;
  }

  bytes(data: Uint8Array): void {
    this.ensure(data.length);
    this.buffer.set(data, this.length);
    this.length += data.length;
  }

  f64(value: number): void {
    this.ensure(9);
    this.buffer[this.length] = 0xcb;
    this.buffer.writeDoubleBE(value, this.length + 1);
    this.length += 9;
  }

  result(): Uint8Array {
    return this.buffer.subarray(0, this.length);
  }
}

function lengthHead(w: ByteWriter, n: number, fix: number | null, fixMax: number, tags: [number, number, number]): void {
  if (fix !== null && n <= fixMax) w.u8(fix | n);
  else if (n < 0x100 && tags[0] !== 0) w.head(tags[0], 1, n);
  else if (n < 0x10000) w.head(tags[1], 2, n);
  else w.head(tags[2], 4, n);
}

/** Host-made text with characters beyond a byte (never request bytes) goes out as its UTF-8. */
function stringBytes(s: string): Buffer {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0xff) return Buffer.from(s, "utf8");
  return Buffer.from(s, "latin1");
}

function encodeInteger(w: ByteWriter, n: number | bigint): void {
  if (n >= 0) {
    if (n < 0x80) w.u8(Number(n));
    else if (n < 0x100) w.head(0xcc, 1, n);
    else if (n < 0x10000) w.head(0xcd, 2, n);
    else if (n < 0x100000000) w.head(0xce, 4, n);
    else w.head(0xcf, 8, n);
    return;
  }
  if (n >= -32) w.u8(Number(n) & 0xff);
  else if (n >= -0x80) w.head(0xd0, 1, Number(n) & 0xff);
  else if (n >= -0x8000) w.head(0xd1, 2, Number(n) & 0xffff);
  else if (n >= -0x80000000) w.head(0xd2, 4, Number(n) >>> 0);
  else w.head(0xd3, 8, n);
}

function encodeValue(w: ByteWriter, value: unknown, depth: number): void {
  if (depth > 100) throw new Error("value too deeply nested for MessagePack");
  if (value === null || value === undefined) w.u8(0xc0);
  else if (value === true) w.u8(0xc3);
  else if (value === false) w.u8(0xc2);
  else if (typeof value === "bigint") encodeInteger(w, value);
  else if (typeof value === "number") {
    if (Number.isSafeInteger(value)) encodeInteger(w, value);
    else w.f64(value);
  } else if (typeof value === "string") {
    const bytes = stringBytes(value);
    lengthHead(w, bytes.length, 0xa0, 31, [0xd9, 0xda, 0xdb]);
    w.bytes(bytes);
  } else if (value instanceof Uint8Array) {
    lengthHead(w, value.length, null, 0, [0xc4, 0xc5, 0xc6]);
    w.bytes(value);
  } else if (Array.isArray(value)) {
    lengthHead(w, value.length, 0x90, 15, [0, 0xdc, 0xdd]);
    for (const item of value) encodeValue(w, item, depth + 1);
  } else if (typeof value === "object") {
    const entries = (value instanceof Map ? [...value.entries()] : Object.entries(value)).filter(([, v]) => v !== undefined);
    lengthHead(w, entries.length, 0x80, 15, [0, 0xde, 0xdf]);
    for (const [key, item] of entries) {
      encodeValue(w, key, depth + 1);
      encodeValue(w, item, depth + 1);
    }
  } else {
    throw new Error(`cannot send a ${typeof value} over MessagePack`);
  }
}

/** Encodes like Kong: strings as `str` of their bytes, Uint8Array as `bin`, undefined map entries left out. */
export function encodeLua(value: unknown): Uint8Array {
  const w = new ByteWriter();
  encodeValue(w, value, 0);
  return w.result();
}

function bytesToLua(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("latin1");
  if (Array.isArray(value)) return value.map(bytesToLua);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = bytesToLua(v);
    return out;
  }
  return value;
}

/** A decoder that reads `str` and `bin` alike as byte strings, as Lua does (map keys: UTF-8 text). */
export function luaDecoder(): { decode(data: Uint8Array): unknown } {
  const decoder = new Decoder({ rawStrings: true });
  return { decode: (data) => bytesToLua(decoder.decode(data)) };
}

/** Text the host made (UTF-8) as the byte string Lua would hold. */
export function textToBytes(text: string): string {
  return Buffer.from(text, "utf8").toString("latin1");
}

/** A byte string shown as text (for logs and the programmatic API): invalid UTF-8 becomes U+FFFD. */
export function bytesToText(bytes: string): string {
  return Buffer.from(bytes, "latin1").toString("utf8");
}
