// The request header map: read once as received, written back once in a single proxy_set_header_map_pairs
// (one host call and one route-cache clear per request, instead of a remove/replace call per header).
// Entries that go upstream unchanged are copied back as the host serialized them, so a 1 KB Authorization
// header is read once (the core needs it as a byte string) and never re-encoded.
// Works on the ABI 0.2.1 pair encoding (abi/pairs.ts): u32 count, count × (u32 key size, u32 value size),
// then each key and value followed by a NUL byte. Uses the bindings' raw imports and staging area because
// the public wrappers decode into Pair objects and re-encode every value.
import { RequestView } from "../../../shared/src/engine";
import { Header } from "../../../shared/src/headers";
import { MapType, removeHeader, replaceHeader, addHeader, WasmResult } from "../abi";
import { proxy_get_header_map_pairs, proxy_set_header_map_pairs } from "../abi/imports";
import { byteStringAt } from "../abi/byte-string";
import { beginStaging, clearResultSlots, commitStage, discardResult, lastStagedSize, RESULT_PTR, RESULT_SIZE, reserveStage } from "../abi/memory";

const COLON: u8 = 0x3a;

/** The request as the core reads it (method, path and regular headers decoded from the map), with the map itself. */
export class ReceivedHeaders extends RequestView {
  /** The map as the host serialized it, in the block the host allocated (0 when unreadable or malformed,
   *  and after release). Owned by this object: freed by release(). */
  raw: usize = 0;
  /** Size of the serialized map as the host handed it over (pairs encoding). */
  byteSize: usize = 0;

  /** `headers`: the regular headers in arrival order (pseudo-headers stay in `raw` only). */
  constructor(headers: Array<Header>) {
    super();
    this.headers = headers;
  }

  /** Gives the host's block back; the decoded headers stay readable. */
  release(): void {
    if (this.raw != 0) heap.free(this.raw);
    this.raw = 0;
  }
}

/** Reads the request header map; an unreadable or malformed map reads as empty. */
export function readRequestHeaders(): ReceivedHeaders {
  clearResultSlots();
  const status = proxy_get_header_map_pairs(<u32>MapType.HttpRequestHeaders, RESULT_PTR, RESULT_SIZE);
  const base = <usize>load<u32>(RESULT_PTR);
  if (status != WasmResult.Ok || base == 0 || !wellFormed(base, <usize>load<u32>(RESULT_SIZE))) {
    discardResult();
    return new ReceivedHeaders(new Array<Header>());
  }
  const byteSize = <usize>load<u32>(RESULT_SIZE);
  // Keep the host's block (it was allocated with our malloc) instead of copying it: release() frees it.
  store<u32>(RESULT_PTR, 0);
  const count = <usize>load<u32>(base);
  let regular = 0;
  let data = base + 4 + 8 * count;
  for (let i: usize = 0; i < count; i++) {
    const keySize = <usize>load<u32>(base + 4 + 8 * i);
    if (keySize == 0 || load<u8>(data) != COLON) regular++;
    data += keySize + <usize>load<u32>(base + 8 + 8 * i) + 2;
  }
  const headers = new Array<Header>(regular);
  const received = new ReceivedHeaders(headers);
  received.byteSize = byteSize;
  let n = 0;
  data = base + 4 + 8 * count;
  for (let i: usize = 0; i < count; i++) {
    const keySize = <usize>load<u32>(base + 4 + 8 * i);
    const valueSize = <usize>load<u32>(base + 8 + 8 * i);
    const valueAt = data + keySize + 1;
    if (keySize != 0 && load<u8>(data) == COLON) {
      if (isName(data, keySize, ":method")) received.method = headerAt(data, keySize, valueAt, valueSize).value;
      else if (isName(data, keySize, ":path")) received.path = headerAt(data, keySize, valueAt, valueSize).value;
    } else {
      unchecked(headers[n++] = headerAt(data, keySize, valueAt, valueSize));
    }
    data = valueAt + valueSize + 1;
  }
  received.raw = base;
  return received;
}

/** Whether the bytes are the ASCII name. */
function isName(ptr: usize, size: usize, name: string): bool {
  if (size != <usize>name.length) return false;
  for (let i: usize = 0; i < size; i++) if (<u16>load<u8>(ptr + i) != load<u16>(changetype<usize>(name) + (i << 1))) return false;
  return true;
}

// Header names repeat on every request: the first NAME_CACHE_SIZE distinct names a VM sees are decoded once.
// Values often repeat too (a client's bearer token, user agent, accept, the method): the last value of each cached
// name is kept with its bytes, and a request that sends the same bytes gets the same string and Header (the core
// never writes to a request Header) without allocating them (a 1 KB token is 2 KB of string, most of what a
// request would allocate) or widening the bytes again. Values above MAX_REUSED_VALUE_BYTES are decoded every time,
// so the bytes kept stay bounded (NAME_CACHE_SIZE × that). The last token a VM saw stays in its memory until the
// next one replaces it (as in key-digest.ts's memo); it never goes to shared data or to a log.
const NAME_CACHE_SIZE = 64;
const MAX_REUSED_VALUE_BYTES: usize = 8192;
const cachedNameBytes = new Array<ArrayBuffer>();
const cachedNames = new Array<string>();
/** Per cached name: the bytes of its last value (grown, never shrunk) and that value as a Header. */
const lastValueBytes = new Array<ArrayBuffer>();
const lastHeaders = new Array<Header>();

/** The index of the name in the name cache (added when there is room), or -1. */
function nameSlot(ptr: usize, size: usize): i32 {
  for (let i = 0, n = cachedNames.length; i < n; i++) {
    const bytes = unchecked(cachedNameBytes[i]);
    if (<usize>bytes.byteLength == size && memory.compare(changetype<usize>(bytes), ptr, size) == 0) return i;
  }
  if (size == 0 || cachedNames.length >= NAME_CACHE_SIZE) return -1;
  const bytes = new ArrayBuffer(<i32>size);
  memory.copy(changetype<usize>(bytes), ptr, size);
  const name = byteStringAt(ptr, size);
  cachedNameBytes.push(bytes);
  cachedNames.push(name);
  lastValueBytes.push(new ArrayBuffer(0));
  lastHeaders.push(new Header(name, ""));
  return cachedNames.length - 1;
}

/** The header with the slot's name and these value bytes: the slot's last one when the bytes are the same. */
function headerOfSlot(slot: i32, ptr: usize, size: usize): Header {
  const last = unchecked(lastHeaders[slot]);
  if (<usize>last.value.length == size && sameBytes(changetype<usize>(unchecked(lastValueBytes[slot])), ptr, size)) return last;
  const header = new Header(last.name, byteStringAt(ptr, size));
  if (size > MAX_REUSED_VALUE_BYTES) return header;
  let bytes = unchecked(lastValueBytes[slot]);
  if (<usize>bytes.byteLength < size) {
    bytes = new ArrayBuffer(<i32>size);
    unchecked(lastValueBytes[slot] = bytes);
  }
  memory.copy(changetype<usize>(bytes), ptr, size);
  unchecked(lastHeaders[slot] = header);
  return header;
}

/** Header of a regular entry (its name is lowercase as the host hands it over). */
function headerAt(namePtr: usize, nameSize: usize, valuePtr: usize, valueSize: usize): Header {
  const slot = nameSlot(namePtr, nameSize);
  return slot >= 0 ? headerOfSlot(slot, valuePtr, valueSize) : new Header(byteStringAt(namePtr, nameSize), byteStringAt(valuePtr, valueSize));
}

/** memory.compare == 0, eight bytes at a time at any alignment (memory.compare goes byte by byte unless both
 *  blocks share an alignment, and a value inside the host's map rarely shares the copy's). */
function sameBytes(a: usize, b: usize, size: usize): bool {
  const words = size & ~<usize>7;
  for (let i: usize = 0; i < words; i += 8) if (load<u64>(a + i) != load<u64>(b + i)) return false;
  for (let i = words; i < size; i++) if (load<u8>(a + i) != load<u8>(b + i)) return false;
  return true;
}

/**
 * Writes back the received map (before release) without the headers in `remove` and with every `upstream`
 * header replacing all values of its name (a name repeated in `upstream` adds a value); upstream headers go
 * last. Nothing is written when nothing would change.
 */
export function writeRequestHeaders(received: ReceivedHeaders, remove: Array<string>, upstream: Array<Header>): void {
  const headers = received.headers;
  // Which regular entries stay: decided once here, read again when the map is written.
  const regularCount = headers.length;
  if (keptFlags.length < regularCount) keptFlags = new StaticArray<bool>(regularCount);
  let kept: usize = 0;
  for (let i = 0; i < regularCount; i++) {
    const keep = keeps(unchecked(headers[i]).name, remove, upstream);
    unchecked(keptFlags[i] = keep);
    if (keep) kept++;
  }
  if (kept == <usize>headers.length && upstream.length == 0) return;
  const base = received.raw;
  if (base == 0) {
    // The map could not be read: never replace what we did not see; edit it header by header instead.
    editHeaderByHeader(remove, upstream);
    return;
  }
  const entries = <usize>load<u32>(base);
  const pseudo = entries - <usize>headers.length;
  const count = pseudo + kept + <usize>upstream.length;
  let bound: usize = 4 + 8 * count + rawSize(base, entries);
  for (let i = 0, n = upstream.length; i < n; i++) {
    const header = unchecked(upstream[i]);
    bound += (<usize>header.name.length + <usize>header.value.length) * 3 + 2;
  }
  beginStaging();
  const out = reserveStage(bound);
  store<u32>(out, <u32>count);
  let lengths = out + 4;
  let data = lengths + 8 * count;
  let source = base + 4 + 8 * entries;
  let regular = 0;
  for (let i: usize = 0; i < entries; i++) {
    const keySize = load<u32>(base + 4 + 8 * i);
    const valueSize = load<u32>(base + 8 + 8 * i);
    const span = <usize>keySize + <usize>valueSize + 2;
    // Entries decode in order: the n-th regular entry is headers[n].
    const isPseudo = keySize != 0 && load<u8>(source) == COLON;
    if (isPseudo || unchecked(keptFlags[regular])) {
      store<u32>(lengths, keySize);
      store<u32>(lengths, valueSize, 4);
      lengths += 8;
      memory.copy(data, source, span);
      data += span;
    }
    if (!isPseudo) regular++;
    source += span;
  }
  for (let i = 0, n = upstream.length; i < n; i++) {
    const header = unchecked(upstream[i]);
    const keySize = String.UTF8.encodeUnsafe(changetype<usize>(header.name), header.name.length, data, false);
    store<u8>(data + keySize, 0);
    data += keySize + 1;
    const valueSize = String.UTF8.encodeUnsafe(changetype<usize>(header.value), header.value.length, data, false);
    store<u8>(data + valueSize, 0);
    data += valueSize + 1;
    store<u32>(lengths, <u32>keySize);
    store<u32>(lengths, <u32>valueSize, 4);
    lengths += 8;
  }
  commitStage(data - out);
  proxy_set_header_map_pairs(<u32>MapType.HttpRequestHeaders, out, lastStagedSize());
}

function editHeaderByHeader(remove: Array<string>, upstream: Array<Header>): void {
  for (let i = 0; i < remove.length; i++) removeHeader(MapType.HttpRequestHeaders, remove[i]);
  for (let i = 0; i < upstream.length; i++) {
    let repeated = false;
    for (let j = 0; j < i; j++) if (upstream[j].name == upstream[i].name) repeated = true;
    if (repeated) addHeader(MapType.HttpRequestHeaders, upstream[i].name, upstream[i].value);
    else replaceHeader(MapType.HttpRequestHeaders, upstream[i].name, upstream[i].value);
  }
}

/** Scratch for writeRequestHeaders (one stream at a time runs in a VM). */
let keptFlags = new StaticArray<bool>(32);

function keeps(name: string, remove: Array<string>, upstream: Array<Header>): bool {
  for (let i = 0, n = remove.length; i < n; i++) if (unchecked(remove[i]) == name) return false;
  for (let i = 0, n = upstream.length; i < n; i++) if (unchecked(upstream[i]).name == name) return false;
  return true;
}

/** Bytes of a well-formed serialized map with `count` entries. */
function rawSize(base: usize, count: usize): usize {
  let size: usize = 4 + 8 * count;
  for (let i: usize = 0; i < count; i++) size += <usize>load<u32>(base + 4 + 8 * i) + <usize>load<u32>(base + 8 + 8 * i) + 2;
  return size;
}

/** Every length fits in the block (as proxy-wasm-cpp-host checks before it trusts a map). */
function wellFormed(ptr: usize, size: usize): bool {
  if (size < 4) return false;
  const count = <u64>load<u32>(ptr);
  let end: u64 = 4 + 8 * count;
  if (end > <u64>size) return false;
  for (let i: u64 = 0; i < count; i++) {
    end += <u64>load<u32>(ptr + 4 + <usize>(8 * i)) + <u64>load<u32>(ptr + 8 + <usize>(8 * i)) + 2;
    if (end > <u64>size) return false;
  }
  return true;
}
