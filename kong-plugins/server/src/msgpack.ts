// MessagePack as Kong's plugin-server protocol needs it (kong/runloop/plugin_servers/rpc/mp_rpc.lua), read and
// written in place: one reader over the bytes a connection received, one writer whose buffer is reused for every
// reply. Strings decode either as text (UTF-8) or as byte strings (one character per byte, for the client's
// request bytes), chosen by the caller per value. A map key `__proto__` is handed over as `__proto_:`.

/** A map key that cannot be a JS object key (it would set the prototype): delivered under this name instead. */
export const PROTO_STANDIN = "__proto_:";
const MAX_NESTING = 64;

/** Thrown (not an Error: no stack to capture) when the bytes end before the value does. */
export const INCOMPLETE: unique symbol = Symbol("incomplete MessagePack value");

export class MsgpackError extends Error {
  override readonly name = "MsgpackError";
}

export class MsgpackReader {
  buf: Buffer = Buffer.alloc(0);
  pos = 0;
  /** Strings as byte strings (latin1: each byte one character) instead of UTF-8 text. */
  byteStrings = false;

  reset(buf: Buffer, pos: number): void {
    this.buf = buf;
    this.pos = pos;
    this.byteStrings = false;
  }

  /** The value at `pos`; throws INCOMPLETE when the buffer ends first, MsgpackError on bytes that are not MessagePack. */
  value(depth = 0): unknown {
    const buf = this.buf;
    if (this.pos >= buf.length) throw INCOMPLETE;
    const b = buf[this.pos++]!;
    if (b <= 0x7f) return b;
    if (b >= 0xe0) return b - 0x100;
    if (b >= 0xa0 && b <= 0xbf) return this.str(b & 0x1f);
    if (b >= 0x90 && b <= 0x9f) return this.array(b & 0x0f, depth);
    if (b >= 0x80 && b <= 0x8f) return this.map(b & 0x0f, depth);
    switch (b) {
      case 0xc0: return null;
      case 0xc2: return false;
      case 0xc3: return true;
      case 0xc4: return this.bin(this.uint(1));
      case 0xc5: return this.bin(this.uint(2));
      case 0xc6: return this.bin(this.uint(4));
      case 0xca: this.need(4); this.pos += 4; return buf.readFloatBE(this.pos - 4);
      case 0xcb: this.need(8); this.pos += 8; return buf.readDoubleBE(this.pos - 8);
      case 0xcc: return this.uint(1);
      case 0xcd: return this.uint(2);
      case 0xce: return this.uint(4);
      case 0xcf: this.need(8); this.pos += 8; return Number(buf.readBigUInt64BE(this.pos - 8));
      case 0xd0: this.need(1); this.pos += 1; return buf.readInt8(this.pos - 1);
      case 0xd1: this.need(2); this.pos += 2; return buf.readInt16BE(this.pos - 2);
      case 0xd2: this.need(4); this.pos += 4; return buf.readInt32BE(this.pos - 4);
      case 0xd3: this.need(8); this.pos += 8; return Number(buf.readBigInt64BE(this.pos - 8));
      case 0xd9: return this.str(this.uint(1));
      case 0xda: return this.str(this.uint(2));
      case 0xdb: return this.str(this.uint(4));
      case 0xdc: return this.array(this.uint(2), depth);
      case 0xdd: return this.array(this.uint(4), depth);
      case 0xde: return this.map(this.uint(2), depth);
      case 0xdf: return this.map(this.uint(4), depth);
    }
    // 0xc1 is never used; extension types (0xc7-0xc9, 0xd4-0xd8) are not part of Kong's protocol.
    throw new MsgpackError(`not a MessagePack value Kong sends: byte 0x${b.toString(16)} at ${this.pos - 1}`);
  }

  /** Length of an array header at `pos` (consumed), or -1 (nothing consumed) when the value is not an array. */
  arrayHeader(): number {
    if (this.pos >= this.buf.length) throw INCOMPLETE;
    const b = this.buf[this.pos]!;
    if (b >= 0x90 && b <= 0x9f) { this.pos += 1; return b & 0x0f; }
    if (b === 0xdc) { this.pos += 1; return this.uint(2); }
    if (b === 0xdd) { this.pos += 1; return this.uint(4); }
    return -1;
  }

  /** Length of a map header at `pos` (consumed), or -1 (nothing consumed) when the value is not a map. */
  mapHeader(): number {
    if (this.pos >= this.buf.length) throw INCOMPLETE;
    const b = this.buf[this.pos]!;
    if (b >= 0x80 && b <= 0x8f) { this.pos += 1; return b & 0x0f; }
    if (b === 0xde) { this.pos += 1; return this.uint(2); }
    if (b === 0xdf) { this.pos += 1; return this.uint(4); }
    return -1;
  }

  /** Moves past the value at `pos` without building it. */
  skip(depth = 0): void {
    if (depth > MAX_NESTING) throw new MsgpackError(`MessagePack nesting deeper than ${MAX_NESTING}`);
    const buf = this.buf;
    if (this.pos >= buf.length) throw INCOMPLETE;
    const b = buf[this.pos]!;
    let items = -1;
    if (b >= 0x90 && b <= 0x9f) { items = b & 0x0f; this.pos += 1; }
    else if (b >= 0x80 && b <= 0x8f) { items = 2 * (b & 0x0f); this.pos += 1; }
    else if (b === 0xdc || b === 0xde) { this.pos += 1; items = this.uint(2) * (b === 0xde ? 2 : 1); }
    else if (b === 0xdd || b === 0xdf) { this.pos += 1; items = this.uint(4) * (b === 0xdf ? 2 : 1); }
    if (items >= 0) {
      for (let i = 0; i < items; i++) this.skip(depth + 1);
      return;
    }
    // Strings and byte arrays: moved over, not decoded.
    let length = -1;
    if (b >= 0xa0 && b <= 0xbf) { this.pos += 1; length = b & 0x1f; }
    else if (b === 0xc4 || b === 0xd9) { this.pos += 1; length = this.uint(1); }
    else if (b === 0xc5 || b === 0xda) { this.pos += 1; length = this.uint(2); }
    else if (b === 0xc6 || b === 0xdb) { this.pos += 1; length = this.uint(4); }
    if (length >= 0) {
      this.need(length);
      this.pos += length;
      return;
    }
    this.value(MAX_NESTING); // the other scalars: a few bytes each
  }

  private need(bytes: number): void {
    if (this.pos + bytes > this.buf.length) throw INCOMPLETE;
  }

  private uint(width: 1 | 2 | 4): number {
    this.need(width);
    const at = this.pos;
    this.pos += width;
    return width === 1 ? this.buf[at]! : width === 2 ? this.buf.readUInt16BE(at) : this.buf.readUInt32BE(at);
  }

  private str(length: number): string {
    this.need(length);
    const start = this.pos;
    this.pos += length;
    return this.buf.toString(this.byteStrings ? "latin1" : "utf8", start, this.pos);
  }

  private bin(length: number): Uint8Array {
    this.need(length);
    const start = this.pos;
    this.pos += length;
    // A copy: the view must not keep (or alias) the connection's receive buffer.
    return new Uint8Array(this.buf.buffer.slice(this.buf.byteOffset + start, this.buf.byteOffset + this.pos));
  }

  private array(length: number, depth: number): unknown[] {
    if (depth >= MAX_NESTING) throw new MsgpackError(`MessagePack nesting deeper than ${MAX_NESTING}`);
    const out = new Array<unknown>(length);
    for (let i = 0; i < length; i++) out[i] = this.value(depth + 1);
    return out;
  }

  private map(length: number, depth: number): Record<string, unknown> {
    if (depth >= MAX_NESTING) throw new MsgpackError(`MessagePack nesting deeper than ${MAX_NESTING}`);
    const out: Record<string, unknown> = {};
    for (let i = 0; i < length; i++) {
      const key = this.value(depth + 1);
      if (typeof key !== "string" && typeof key !== "number") throw new MsgpackError(`map key of type ${key === null ? "nil" : typeof key}`);
      out[key === "__proto__" ? PROTO_STANDIN : key] = this.value(depth + 1);
    }
    return out;
  }
}

/** Writes MessagePack into one buffer that grows as needed and is reused; `take()` copies the bytes written out. */
export class MsgpackWriter {
  private buf = Buffer.allocUnsafe(4096);
  private pos = 0;

  /** Position to rewind to when a value cannot be encoded. */
  mark(): number {
    return this.pos;
  }

  rewind(to: number): void {
    this.pos = to;
  }

  /** The bytes written since `from`, copied (the buffer is reused), and the writer emptied. */
  take(from = 0): Buffer {
    const out = Buffer.allocUnsafe(this.pos - from);
    this.buf.copy(out, 0, from, this.pos);
    this.pos = from;
    return out;
  }

  nil(): void {
    this.reserve(1);
    this.buf[this.pos++] = 0xc0;
  }

  arrayHeader(length: number): void {
    this.reserve(5);
    if (length < 16) this.buf[this.pos++] = 0x90 | length;
    else this.sized(length, 0xdc, 0xdd);
  }

  mapHeader(length: number): void {
    this.reserve(5);
    if (length < 16) this.buf[this.pos++] = 0x80 | length;
    else this.sized(length, 0xde, 0xdf);
  }

  /** Any value a plugin hands Kong: nil, booleans, numbers, strings (UTF-8), byte arrays (bin), arrays, maps. */
  value(v: unknown, depth = 0): void {
    if (depth > MAX_NESTING) throw new MsgpackError(`value nested deeper than ${MAX_NESTING}`);
    switch (typeof v) {
      case "string": return this.string(v);
      case "number": return this.number(v);
      case "boolean": this.reserve(1); this.buf[this.pos++] = v ? 0xc3 : 0xc2; return;
      case "undefined": return this.nil();
      case "object":
        if (v === null) return this.nil();
        if (Array.isArray(v)) {
          this.arrayHeader(v.length);
          for (const item of v) this.value(item, depth + 1);
          return;
        }
        if (v instanceof Uint8Array) return this.binary(v);
        if (v instanceof Map) {
          this.mapHeader(v.size);
          for (const [key, item] of v) { this.value(key, depth + 1); this.value(item, depth + 1); }
          return;
        }
        return this.object(v as Record<string, unknown>, depth);
      default:
        throw new MsgpackError(`cannot send a ${typeof v} to Kong`);
    }
  }

  string(s: string): void {
    const length = s.length;
    let ascii = length < 64;
    for (let i = 0; ascii && i < length; i++) if (s.charCodeAt(i) > 0x7f) ascii = false;
    const bytes = ascii ? length : Buffer.byteLength(s, "utf8");
    this.reserve(5 + bytes);
    if (bytes < 32) this.buf[this.pos++] = 0xa0 | bytes;
    else if (bytes < 0x100) { this.buf[this.pos++] = 0xd9; this.buf[this.pos++] = bytes; }
    else this.sized(bytes, 0xda, 0xdb);
    if (ascii) {
      for (let i = 0; i < length; i++) this.buf[this.pos++] = s.charCodeAt(i);
    } else {
      this.pos += this.buf.write(s, this.pos, bytes, "utf8");
    }
  }

  number(n: number): void {
    this.reserve(9);
    const buf = this.buf;
    if (Number.isSafeInteger(n)) {
      if (n >= 0) {
        if (n < 0x80) buf[this.pos++] = n;
        else if (n < 0x100) { buf[this.pos++] = 0xcc; buf[this.pos++] = n; }
        else if (n < 0x10000) { buf[this.pos++] = 0xcd; buf.writeUInt16BE(n, this.pos); this.pos += 2; }
        else if (n < 0x100000000) { buf[this.pos++] = 0xce; buf.writeUInt32BE(n, this.pos); this.pos += 4; }
        else { buf[this.pos++] = 0xcf; buf.writeBigUInt64BE(BigInt(n), this.pos); this.pos += 8; }
      } else if (n >= -0x20) buf[this.pos++] = n + 0x100;
      else if (n >= -0x80) { buf[this.pos++] = 0xd0; buf.writeInt8(n, this.pos); this.pos += 1; }
      else if (n >= -0x8000) { buf[this.pos++] = 0xd1; buf.writeInt16BE(n, this.pos); this.pos += 2; }
      else if (n >= -0x80000000) { buf[this.pos++] = 0xd2; buf.writeInt32BE(n, this.pos); this.pos += 4; }
      else { buf[this.pos++] = 0xd3; buf.writeBigInt64BE(BigInt(n), this.pos); this.pos += 8; }
      return;
    }
    buf[this.pos++] = 0xcb;
    buf.writeDoubleBE(n, this.pos);
    this.pos += 8;
  }

  private binary(bytes: Uint8Array): void {
    this.reserve(5 + bytes.length);
    if (bytes.length < 0x100) { this.buf[this.pos++] = 0xc4; this.buf[this.pos++] = bytes.length; }
    else this.sized(bytes.length, 0xc5, 0xc6);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  private object(o: Record<string, unknown>, depth: number): void {
    const keys = Object.keys(o);
    this.mapHeader(keys.length);
    for (const key of keys) {
      this.string(key);
      this.value(o[key], depth + 1);
    }
  }

  /** 16- or 32-bit length after a type byte (room already reserved). */
  private sized(length: number, type16: number, type32: number): void {
    if (length < 0x10000) {
      this.buf[this.pos++] = type16;
      this.buf.writeUInt16BE(length, this.pos);
      this.pos += 2;
    } else {
      this.buf[this.pos++] = type32;
      this.buf.writeUInt32BE(length, this.pos);
      this.pos += 4;
    }
  }

  private reserve(bytes: number): void {
    if (this.pos + bytes <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + bytes));
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = grown;
  }
}
