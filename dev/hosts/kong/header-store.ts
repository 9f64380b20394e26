// An ordered, mutable list of HTTP headers with nginx-style lookup: names are case-insensitive and, as in
// `ngx.req.get_headers()` and `$http_*`, `_` matches `-`. Writes through `ngx.req.set_header/clear_header`
// match names exactly instead (setExactly/clearExactly).

export type HeaderValue = string | string[];

interface HeaderEntry {
  name: string;
  value: string;
}

/** `ngx.header[name] = …` writes `_` as `-` (lua_transform_underscores_in_response_headers, on by default). */
export function responseHeaderName(name: string): string {
  return name.replaceAll("_", "-");
}

export function lookupName(name: string): string {
  return name.toLowerCase().replaceAll("_", "-");
}

export class HeaderStore {
  private entries: HeaderEntry[] = [];

  static from(headers: Record<string, HeaderValue | undefined> | Iterable<[string, string]>): HeaderStore {
    const store = new HeaderStore();
    const pairs: Iterable<[string, HeaderValue | undefined]> = Symbol.iterator in headers ? headers : Object.entries(headers);
    for (const [name, value] of pairs) {
      if (value === undefined) continue;
      for (const v of Array.isArray(value) ? value : [value]) store.entries.push({ name, value: v });
    }
    return store;
  }

  /** Lowercased name → all values, for the first `max` header lines (like `ngx.req.get_headers(max)`). */
  toMultiMap(max = Number.POSITIVE_INFINITY): Record<string, string[]> {
    // No prototype: a client header named `__proto__` or `constructor` is a header like any other (a Lua table).
    const out: Record<string, string[]> = Object.create(null) as Record<string, string[]>;
    let count = 0;
    for (const { name, value } of this.entries) {
      if (count >= max) break;
      count += 1;
      const key = name.toLowerCase();
      (out[key] ??= []).push(value);
    }
    return out;
  }

  /** Lowercased name → a string, or a string[] when repeated (the shape sent on the wire to a client/upstream). */
  toRecord(): Record<string, HeaderValue> {
    const out: Record<string, HeaderValue> = Object.create(null) as Record<string, HeaderValue>;
    for (const [key, values] of Object.entries(this.toMultiMap())) out[key] = values.length === 1 ? (values[0] ?? "") : values;
    return out;
  }

  /** Every header in order, names as given (how nginx passes client headers on to the upstream). */
  pairs(): Array<[string, string]> {
    return this.entries.map((e) => [e.name, e.value]);
  }

  values(name: string): string[] {
    const wanted = lookupName(name);
    return this.entries.filter((e) => lookupName(e.name) === wanted).map((e) => e.value);
  }

  first(name: string): string | undefined {
    return this.values(name)[0];
  }

  has(name: string): boolean {
    return this.values(name).length > 0;
  }

  names(): string[] {
    return [...new Set(this.entries.map((e) => e.name.toLowerCase()))];
  }

  set(name: string, value: HeaderValue): void {
    this.clear(name);
    this.add(name, value);
  }

  add(name: string, value: HeaderValue): void {
    for (const v of Array.isArray(value) ? value : [value]) this.entries.push({ name, value: v });
  }

  clear(name: string): void {
    const wanted = lookupName(name);
    this.entries = this.entries.filter((e) => lookupName(e.name) !== wanted);
  }

  /** `ngx.req.set_header`: replaces the lines whose name equals `name` ignoring ASCII case — no `_`/`-` folding
   *  (lua-nginx-module ngx_http_lua_headers_in.c compares names with ngx_strncasecmp). */
  setExactly(name: string, value: HeaderValue): void {
    this.clearExactly(name);
    this.add(name, value);
  }

  clearExactly(name: string): void {
    const wanted = name.toLowerCase();
    this.entries = this.entries.filter((e) => e.name.toLowerCase() !== wanted);
  }

  clone(): HeaderStore {
    const copy = new HeaderStore();
    copy.entries = this.entries.map((e) => ({ ...e }));
    return copy;
  }
}
