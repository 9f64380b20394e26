// The core's CharScan with direct loads of the string's UTF-16 units: the portable scan pays a non-inlined
// charCodeAt call per unit, about 3 µs for a 1 KB bearer token. Same contract and the same answer for any
// arguments (an index outside the string ends the span, as charCodeAt's -1 would); the classes stay the core's.
import { AsciiSet, CharScan } from "../../../shared/src/token";

/** Sets seen so far (the core's are module constants, so a handful) and their 128-byte membership tables. */
const MAX_TABLES = 8;

export class WasmCharScan extends CharScan {
  private readonly sets: Array<AsciiSet> = new Array<AsciiSet>();
  private readonly tables: Array<StaticArray<u8>> = new Array<StaticArray<u8>>();
  // The last scan's arguments and answer: a repeated bearer token arrives as the very same string (request-headers.ts
  // reuses the string of a repeated header value), and strings are immutable. Holding `lastText` keeps its memory
  // from being reused by another string while the answer is remembered.
  private lastText: string = "";
  private lastFrom: i32 = 0;
  private lastTo: i32 = 0;
  private lastSet: AsciiSet | null = null;
  private lastSpan: i32 = 0;

  span(s: string, from: i32, to: i32, set: AsciiSet): i32 {
    if (changetype<usize>(s) == changetype<usize>(this.lastText) && from == this.lastFrom && to == this.lastTo
      && this.lastSet === set) return this.lastSpan;
    const end = this.scan(s, from, to, set);
    this.lastText = s;
    this.lastFrom = from;
    this.lastTo = to;
    this.lastSet = set;
    this.lastSpan = end;
    return end;
  }

  private scan(s: string, from: i32, to: i32, set: AsciiSet): i32 {
    const table = this.tableOf(set);
    if (table == 0) return super.span(s, from, to, set);
    const length = s.length;
    const units = changetype<usize>(s);
    let i = from;
    // Four units per step while they are all ASCII members; the unit loop below finds where a run ends.
    if (i >= 0) {
      const fast = min(to, length) - 3;
      while (i < fast) {
        const q = load<u64>(units + (<usize>i << 1));
        if ((q & 0xff80ff80ff80ff80) != 0) break;
        const member = load<u8>(table + <usize>(q & 0x7f)) & load<u8>(table + <usize>((q >> 16) & 0x7f)) &
          load<u8>(table + <usize>((q >> 32) & 0x7f)) & load<u8>(table + <usize>(q >> 48));
        if (member == 0) break;
        i += 4;
      }
    }
    for (; i < to; i++) {
      if (<u32>i >= <u32>length) return i;
      const c = <u32>load<u16>(units + (<usize>i << 1));
      if (c >= 128 || load<u8>(table + c) == 0) return i;
    }
    return to;
  }

  /** The membership table of a set (0 when the table cache is full: the portable scan answers then). */
  private tableOf(set: AsciiSet): usize {
    const sets = this.sets;
    for (let i = 0, n = sets.length; i < n; i++) {
      if (unchecked(sets[i]) === set) return changetype<usize>(unchecked(this.tables[i]));
    }
    if (sets.length >= MAX_TABLES) return 0;
    const table = new StaticArray<u8>(128);
    for (let c = 0; c < 128; c++) table[c] = set.has(c) ? 1 : 0;
    sets.push(set);
    this.tables.push(table);
    return changetype<usize>(table);
  }
}
