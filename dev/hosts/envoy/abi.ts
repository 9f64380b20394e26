// proxy-wasm ABI 0.2.1 constants as proxy-wasm-cpp-host and Envoy use them (cpp-host
// include/proxy-wasm/proxy_wasm_common.h and proxy_wasm_enums.h; limits from include/proxy-wasm/limits.h).

export const WasmResult = {
  Ok: 0,
  NotFound: 1,
  BadArgument: 2,
  SerializationFailure: 3,
  ParseFailure: 4,
  InvalidMemoryAccess: 6,
  Empty: 7,
  CasMismatch: 8,
  InternalFailure: 10,
  BrokenConnection: 11,
  Unimplemented: 12,
} as const;

export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "critical"] as const;
export type LogLevelName = (typeof LOG_LEVELS)[number];
export const LogLevel = { trace: 0, debug: 1, info: 2, warn: 3, error: 4, critical: 5 } as const;

export const BufferType = {
  HttpRequestBody: 0,
  HttpResponseBody: 1,
  DownstreamData: 2,
  UpstreamData: 3,
  HttpCallResponseBody: 4,
  GrpcReceiveBuffer: 5,
  VmConfiguration: 6,
  PluginConfiguration: 7,
  CallData: 8,
  Max: 8,
} as const;

export const MapType = {
  RequestHeaders: 0,
  RequestTrailers: 1,
  ResponseHeaders: 2,
  ResponseTrailers: 3,
  GrpcReceiveInitialMetadata: 4,
  GrpcReceiveTrailingMetadata: 5,
  HttpCallResponseHeaders: 6,
  HttpCallResponseTrailers: 7,
  Max: 7,
} as const;

export const StreamType = { Request: 0, Response: 1, Downstream: 2, Upstream: 3, Max: 3 } as const;

export const MetricType = { Counter: 0, Gauge: 1, Histogram: 2, Max: 2 } as const;

/** Envoy FilterHeadersStatus values (what a headers callback is converted to). */
export const HeadersStatus = {
  Continue: 0,
  StopIteration: 1,
  ContinueAndEndStream: 2,
  StopAllIterationAndBuffer: 3,
  StopAllIterationAndWatermark: 4,
} as const;

/** Envoy FilterDataStatus values. */
export const DataStatus = {
  Continue: 0,
  StopIterationAndBuffer: 1,
  StopIterationAndWatermark: 2,
  StopIterationNoBuffer: 3,
} as const;

export const TrailersStatus = { Continue: 0, StopIteration: 1 } as const;

export const WasiErrno = { Success: 0, BadF: 8, Fault: 21, Inval: 28, NoEnt: 44, NoSys: 52, NotSup: 58, NotDir: 20 } as const;

export type AbiVersion = "0.1.0" | "0.2.0" | "0.2.1";

export const ABI_MARKERS: ReadonlyArray<readonly [string, AbiVersion]> = [
  ["proxy_abi_version_0_1_0", "0.1.0"],
  ["proxy_abi_version_0_2_0", "0.2.0"],
  ["proxy_abi_version_0_2_1", "0.2.1"],
];

/** cpp-host limits (include/proxy-wasm/limits.h). */
export const Limits = {
  pairsMaxCount: 1024,
  pairsMaxBytes: 1024 * 1024,
  randomGetMaxBytes: 64 * 1024,
} as const;

export function logLevelName(level: number): LogLevelName {
  return LOG_LEVELS[Math.max(0, Math.min(5, level))] ?? "info";
}
