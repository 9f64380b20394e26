// The Envoy plane's decision-cache key function: the core's key (hex SHA-256 of fingerprint + token +
// forwarded header values), computed by the wasm SHA-256 and remembered for recently seen tokens.
// The memo is VM-local and bounded (entries and characters); it is looked up by the exact token and holds the
// exact fingerprint and forwarded-values part next to the key (strings compare whole, so no two tokens can share
// a key by collision). It keeps recent raw tokens in this VM's memory a little longer; they never go to shared
// data or to a log.
import { KeyDigest } from "../../../shared/src/cache-key";
import { Lru } from "./lru";
import { sha256HexOfText } from "./sha256";

export const MEMO_ENTRIES: i32 = 1024;
/** Characters of tokens and forwarded values the memo may hold in total (2 bytes each in AssemblyScript strings). */
export const MEMO_CHARS: i32 = 1 << 20;

class MemoEntry {
  constructor(public fingerprint: string, public tail: string, public key: string, public size: i32) {}
}

export class MemoKeyDigest extends KeyDigest {
  private readonly memo: Lru<MemoEntry> = new Lru<MemoEntry>(MEMO_ENTRIES);
  private chars: i32 = 0;
  // The last answer, for a request that hands over the very same string (request-headers.ts reuses the string of
  // a repeated header value): no hash of the token, no LRU walk. Strings are immutable, so the same object at the
  // same range is the same token.
  private lastText: string = "";
  private lastStart: i32 = -1;
  private lastEnd: i32 = -1;
  private lastFingerprint: string = "";
  private lastTail: string = "";
  private lastKey: string = "";

  hexOfParts(fingerprint: string, token: string, tail: string): string {
    return this.hexOfRange(fingerprint, token, 0, token.length, tail);
  }

  hexOfRange(fingerprint: string, text: string, start: i32, end: i32, tail: string): string {
    if (changetype<usize>(text) == changetype<usize>(this.lastText) && start == this.lastStart && end == this.lastEnd
      && fingerprint == this.lastFingerprint && tail == this.lastTail) return this.lastKey;
    // A hit reads the token where it lies (in the request's header value): no copy of it is made.
    const known = this.memo.getRange(text, start, end);
    let key: string;
    if (known != null && known.fingerprint == fingerprint && known.tail == tail) {
      key = known.key;
    } else {
      const token = text.substring(start, end);
      key = sha256HexOfText(fingerprint + "\n" + token + tail);
      const size = token.length + tail.length;
      if (size <= MEMO_CHARS / 16) this.remember(token, new MemoEntry(fingerprint, tail, key, size), known);
    }
    this.lastText = text;
    this.lastStart = start;
    this.lastEnd = end;
    this.lastFingerprint = fingerprint;
    this.lastTail = tail;
    this.lastKey = key;
    return key;
  }

  hex(material: string): string {
    return sha256HexOfText(material);
  }

  /** `replaced`: the entry the token had (another fingerprint or forwarded values), or null. */
  private remember(token: string, entry: MemoEntry, replaced: MemoEntry | null): void {
    if (replaced != null) {
      this.chars -= replaced.size;
    } else {
      while (this.memo.size > 0 && (this.memo.size >= MEMO_ENTRIES || this.chars + entry.size > MEMO_CHARS)) this.dropOldest();
    }
    this.memo.set(token, entry);
    this.chars += entry.size;
    while (this.chars > MEMO_CHARS && this.memo.size > 1) this.dropOldest();
  }

  private dropOldest(): void {
    const oldest = this.memo.oldest();
    if (oldest == null) return;
    this.chars -= oldest.size;
    this.memo.removeOldest();
  }
}
