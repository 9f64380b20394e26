// Memory exchanged with the host. Ownership rules:
// - Host → guest results (`**data, *size`): the host obtains the block from the exported `malloc`
//   (= allocateForHost), writes the bytes and stores pointer and size in the result slots below. The guest copies
//   them into a managed string/ArrayBuffer and frees the block right away (takeResult*, discardResult).
// - Guest → host arguments: strings are UTF-8 encoded into an unmanaged staging area that is reused; staged
//   pointers stay valid until the next beginStaging(). Managed ArrayBuffers are passed by pointer directly.

/** Unmanaged block for the host; freed by the guest with heap.free after copying the data out. */
export function allocateForHost(size: usize): usize {
  return heap.alloc(size);
}

// Out-slots the host writes into. Every wrapper finishes with them before it returns, and wrappers are never
// re-entered (the host only calls malloc while a host function runs), so one set is enough.
export const RESULT_PTR: usize = memory.data(8, 8);
export const RESULT_SIZE: usize = memory.data(8, 8);
export const RESULT_EXTRA: usize = memory.data(8, 8);

export function clearResultSlots(): void {
  store<u64>(RESULT_PTR, 0);
  store<u64>(RESULT_SIZE, 0);
  store<u64>(RESULT_EXTRA, 0);
}

/** Frees a result block the host may have allocated without the guest wanting its content. */
export function discardResult(): void {
  const ptr = load<u32>(RESULT_PTR);
  if (ptr != 0) heap.free(ptr);
  store<u64>(RESULT_PTR, 0);
}

export function takeResultBytes(): ArrayBuffer {
  const ptr = <usize>load<u32>(RESULT_PTR);
  const size = <usize>load<u32>(RESULT_SIZE);
  const bytes = new ArrayBuffer(<i32>size);
  if (size != 0) memory.copy(changetype<usize>(bytes), ptr, size);
  discardResult();
  return bytes;
}

export function takeResultString(): string {
  const ptr = <usize>load<u32>(RESULT_PTR);
  const size = <usize>load<u32>(RESULT_SIZE);
  const text = size == 0 ? "" : String.UTF8.decodeUnsafe(ptr, size, false);
  discardResult();
  return text;
}

// ---- staging area for guest → host arguments

const STAGE_MIN_CAPACITY: usize = 1024;
// A round that needed more than this gives the memory back at the next round instead of keeping it forever.
const STAGE_KEEP_CAPACITY: usize = 64 * 1024;

let stageBase: usize = 0;
let stageCapacity: usize = 0;
let stageUsed: usize = 0;
let stagedSize: usize = 0;
// Blocks outgrown during a round; earlier staged pointers still point into them until the round ends.
const retiredBlocks = new Array<usize>();

export function beginStaging(): void {
  for (let i = 0, n = retiredBlocks.length; i < n; i++) heap.free(unchecked(retiredBlocks[i]));
  retiredBlocks.length = 0;
  if (stageCapacity > STAGE_KEEP_CAPACITY) {
    heap.free(stageBase);
    stageBase = 0;
    stageCapacity = 0;
  }
  stageUsed = 0;
}

/** Pointer to at least `maxBytes` writable bytes; call commitStage with the bytes actually written. */
export function reserveStage(maxBytes: usize): usize {
  if (stageCapacity - stageUsed < maxBytes) {
    let capacity = stageCapacity << 1;
    if (capacity < STAGE_MIN_CAPACITY) capacity = STAGE_MIN_CAPACITY;
    if (capacity < maxBytes) capacity = maxBytes;
    if (stageBase != 0) {
      if (stageUsed != 0) retiredBlocks.push(stageBase);
      else heap.free(stageBase);
    }
    stageBase = heap.alloc(capacity);
    stageCapacity = capacity;
    stageUsed = 0;
  }
  return stageBase + stageUsed;
}

export function commitStage(bytes: usize): void {
  stageUsed += bytes;
  stagedSize = bytes;
}

/** UTF-8 encodes `text` into the staging area; the byte length is lastStagedSize(). */
export function stageString(text: string): usize {
  const ptr = reserveStage(<usize>text.length * 3);
  commitStage(String.UTF8.encodeUnsafe(changetype<usize>(text), text.length, ptr, false));
  return ptr;
}

export function lastStagedSize(): usize {
  return stagedSize;
}
