// A header as the core sees it: lowercase name, one value. Hosts pass repeated headers as
// repeated entries, in arrival order.

export class Header {
  constructor(public name: string, public value: string) {}
}

/** Values of every header with this (lowercase) name, in order. */
export function headerValues(headers: Array<Header>, name: string): Array<string> {
  const out = new Array<string>();
  for (let i = 0; i < headers.length; i++) if (headers[i].name == name) out.push(headers[i].value);
  return out;
}

/** First value of the header, or null. */
export function firstHeader(headers: Array<Header>, name: string): string | null {
  for (let i = 0; i < headers.length; i++) if (headers[i].name == name) return headers[i].value;
  return null;
}

/** Lowercases names once, at the boundary; hosts may already have done it. */
export function normalizeHeaders(headers: Array<Header>): Array<Header> {
  const out = new Array<Header>();
  for (let i = 0; i < headers.length; i++) out.push(new Header(headers[i].name.toLowerCase(), headers[i].value));
  return out;
}
