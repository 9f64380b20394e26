// Types shared by the stream driver (HCM/router emulation) and the stream context inside a VM.

import type { HeaderMap } from "./header-map.js";
import type { Pair } from "./pairs.js";

export interface LocalReply {
  status: number;
  body: Uint8Array;
  headers: Pair[];
  details: string;
  /** null = no grpc-status (Envoy maps codes outside 0..16, e.g. -1, to none). */
  grpcStatus: number | null;
}

/** What Envoy's StreamInfo answers for properties. */
export interface StreamInfo {
  readonly connectionId: number;
  readonly clientAddress: string;
  readonly localAddress: string;
  readonly protocol: string;
  readonly startTimeMs: number;
  responseCode: number | null;
  responseCodeDetails: string | null;
  routeName: string | null;
  clusterName: string | null;
  readonly filterState: Map<string, Uint8Array>;
  /** The request headers as the stream currently has them. */
  requestHeaders(): HeaderMap;
  responseHeaders(): HeaderMap | null;
}

/** The decoder/encoder filter callbacks a stream context may use (all deferred by the caller). */
export interface StreamCallbacks {
  readonly info: StreamInfo;
  continueDecoding(): void;
  continueEncoding(): void;
  sendLocalReply(reply: LocalReply): void;
  resetStream(details: string): void;
  /** CHECK_FAIL with fail_open=false: 503 wasm_fail_stream, sent right away. */
  failStream(): void;
  clearRouteCache(): void;
}
