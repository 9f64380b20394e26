// Public API of meshgate's proxy-wasm ABI 0.2.1 bindings. Import from here; export the host-facing
// functions separately from the entry file with `export * from "./abi/exports"` (not from this file, which
// would export every helper as a wasm export too).

export { Action, BufferType, LogLevel, MapType, MetricType, NO_GRPC_STATUS, PeerType, StreamType, WasmResult } from "./enums";
export { Pair, deserializePairs, deserializePairsBuffer, serializePairs } from "./pairs";
export { getLogLevel, isLogEnabled, log } from "./log";
export { nowMs } from "./clock";
export { getBufferBytes, getBufferSize, getBufferString, setBufferBytes } from "./buffers";
export {
  addHeader, getHeader, getHeaderMapByteSize, getHeaderPairs, removeHeader, replaceHeader, setHeaderPairs,
} from "./headers";
export { closeStream, continueStream, sendLocalResponse } from "./stream";
export { getStatus, HostStatus, httpCall, HttpCallResult } from "./http-call";
export { getSharedData, setSharedData, SharedDataResult } from "./shared-data";
export {
  dequeueSharedQueue, enqueueSharedQueue, QueueMessage, QueueResult, registerSharedQueue, resolveSharedQueue,
} from "./shared-queue";
export { defineMetric, getMetric, incrementMetric, MetricDefinition, recordMetric } from "./metrics";
export { getProperty, getPropertyString } from "./properties";
export { callForeignFunction, done, ForeignResult, setEffectiveContext, setTickPeriod } from "./vm";
export { getHttpContext, getRootContext, HttpContext, registerRoot, RootContext, RootFactory } from "./context";
export { dispatchHttpCall, pendingHttpCallCount } from "./pending-calls";
