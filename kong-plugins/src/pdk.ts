// The slice of Kong's PDK meshgate calls, typed narrowly (kong-pdk's own .d.ts set does not compile
// cleanly and types several calls as tuples that never arrive over MessagePack-RPC).
// Every call is one round trip to Kong.

export type HeaderMap = Record<string, string | string[]>;

export interface KongPdk {
  request: {
    getHeaders(max?: number): Promise<Record<string, string | string[]>>;
    getPathWithQuery(): Promise<string>;
    getMethod(): Promise<string>;
  };
  client: {
    getForwardedIp(): Promise<string | undefined>;
  };
  service: {
    request: {
      setHeaders(headers: HeaderMap): Promise<void>;
      clearHeader(name: string): Promise<void>;
    };
    setUpstream(name: string): Promise<boolean | undefined>;
    setTarget(host: string, port: number): Promise<void>;
  };
  response: {
    setHeaders(headers: HeaderMap): Promise<void>;
    exit(status: number, body?: string, headers?: HeaderMap): Promise<void>;
  };
  log: {
    err(...message: unknown[]): Promise<void>;
    warn(...message: unknown[]): Promise<void>;
    notice(...message: unknown[]): Promise<void>;
  };
}
