// The Envoy plane's decision-cache key function: the core's key (hex SHA-256 of fingerprint + token +
// forwarded header values), computed by the wasm SHA-256 and remembered for recently seen material.
// The memo is VM-local and bounded (entries and characters); it maps the exact material string to its key
// (the map compares whole strings, so no two tokens can share a key by collision). It keeps recent raw
// tokens in this VM's memory a little longer; they never go to shared data or to a log.
import { KeyDigest } from "../../../shared/src/cache-key";
import { Lru } from "./lru";
import { sha256HexOfText } from "./sha256";

export const MEMO_ENTRIES: i32 = 1024;
/** Characters of material the memo may hold in total (2 bytes each in AssemblyScript strings). */
export const MEMO_CHARS: i32 = 1 << 20;

export class MemoKeyDigest extends KeyDigest {
  private readonly memo: Lru<string> = new Lru<string>(MEMO_ENTRIES);
  private chars: i32 = 0;

  hex(material: string): string {
    const known = this.memo.get(material);
    if (known != null) return known;
    const key = sha256HexOfText(material);
    if (material.length <= MEMO_CHARS / 16) this.remember(material, key);
    return key;
  }

  private remember(material: string, key: string): void {
    this.chars += material.length;
    const evicted = this.memo.set(material, key);
    if (evicted != null) this.chars -= evicted.length;
    while (this.chars > MEMO_CHARS) {
      const oldest = this.memo.removeOldest();
      if (oldest == null) break;
      this.chars -= oldest.length;
    }
  }
}
