// Incremental decoder for a chunked request body (RFC 9112 §7.1): bytes in, chunk data out, trailers skipped.

type State = "size" | "data" | "data-end" | "trailers" | "done";

const MAX_LINE = 4096;

export class ChunkedDecoder {
  private state: State = "size";
  private remaining = 0;

  get done(): boolean {
    return this.state === "done";
  }

  /**
   * Consumes what it can from `input`; returns the decoded data and how many input bytes were used. Throws an
   * Error naming the problem for a malformed body.
   */
  feed(input: Buffer): { data: Buffer[]; used: number } {
    const data: Buffer[] = [];
    let pos = 0;
    while (pos < input.length && this.state !== "done") {
      if (this.state === "data") {
        const take = Math.min(this.remaining, input.length - pos);
        data.push(input.subarray(pos, pos + take));
        pos += take;
        this.remaining -= take;
        if (this.remaining === 0) this.state = "data-end";
        continue;
      }
      const lf = input.indexOf(0x0a, pos);
      if (lf < 0) {
        if (input.length - pos > MAX_LINE) throw new Error("chunk line too long");
        break;
      }
      const line = input.toString("latin1", pos, lf).replace(/\r$/, "");
      pos = lf + 1;
      if (this.state === "size") {
        const m = /^([0-9a-fA-F]{1,12})[ \t]*(?:;.*)?$/.exec(line);
        if (!m) throw new Error(`invalid chunk size line '${line}'`);
        this.remaining = parseInt(m[1]!, 16);
        this.state = this.remaining === 0 ? "trailers" : "data";
      } else if (this.state === "data-end") {
        if (line !== "") throw new Error("chunk data not followed by CRLF");
        this.state = "size";
      } else if (line === "") {
        this.state = "done";
      }
    }
    return { data, used: pos };
  }
}
