// Wire rules for the dev upstreams: an origin server that reads whatever a proxy forwards — any byte but CR, LF
// and NUL in the target and in header values — so a test sees exactly the bytes the gateway sent. It refuses
// only heads it cannot split (400) or larger than 64 KiB (431). Framing it cannot use is not judged either: TE
// chunked wins (RFC 9112 §6.3), an unusable Content-Length means no body — the echo reports, the gateways judge.
import { bodyFraming, wantsKeepAlive } from "./framing.js";
import type { BodyFraming, BytePair, HeadLine, HeadVerdict, Refusal, WireRules } from "./types.js";

function refusal(status: 400 | 431, detail: string): Refusal {
  const reason = status === 400 ? "Bad Request" : "Request Header Fields Too Large";
  return { status, reason, headers: [["content-type", "text/plain"]], body: `${reason}\n`, detail };
}

export class OriginWireRules implements WireRules {
  readonly name = "origin";
  readonly maxHeadBytes = 64 * 1024;

  readHead(lines: readonly HeadLine[], complete: boolean): HeadVerdict {
    if (!complete) return { refused: refusal(431, "head larger than 64 KiB") };
    const m = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+) ([^ \0\r]+) HTTP\/1\.([01])$/.exec(lines[0]?.text ?? "");
    if (!m) return { refused: refusal(400, "unparseable request line") };
    const headers: BytePair[] = [];
    for (const line of lines.slice(1, -1)) {
      const colon = line.text.indexOf(":");
      if (colon <= 0 || /[\0\r]/.test(line.text)) return { refused: refusal(400, "unparseable header line") };
      headers.push([line.text.slice(0, colon), line.text.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, "")]);
    }
    const minorVersion = Number(m[3]);
    const framing = bodyFraming(headers, minorVersion);
    const body: BodyFraming = "framing" in framing ? framing.framing : framing.problem === "content_length_and_chunked" ? { kind: "chunked" } : { kind: "none" };
    return {
      accepted: { method: m[1]!, target: m[2]!, minorVersion, headers, framing: body, keepAlive: wantsKeepAlive(headers, minorVersion) },
    };
  }

  badBody(detail: string): Refusal {
    return refusal(400, detail);
  }
}
