// AssemblyScript probe module for the binding tests (compiled by the tests, never shipped). Root id "probe".
// Streams run the scenario named in the `x-probe` request header and report through request headers and logs;
// probe_* exports give the tests direct access to the pairs codec.

export * from "../assembly/abi/exports";

import {
  Action, addHeader, BufferType, defineMetric, deserializePairs, getBufferString, getHeader, getHeaderPairs,
  getLogLevel, getMetric, getProperty, getPropertyString, getSharedData, getStatus, HttpContext, httpCall,
  incrementMetric, log, LogLevel, MapType, MetricType, nowMs, Pair, recordMetric, registerRoot, RootContext,
  sendLocalResponse, serializePairs, setHeaderPairs, setSharedData, setTickPeriod,
} from "../assembly/abi";

// ---- direct access to the pairs codec

let decoded: Array<Pair> = [];

export function probe_decode(ptr: usize, size: usize): i32 {
  decoded = deserializePairs(ptr, size);
  return decoded.length;
}

export function probe_key(index: i32): string {
  return decoded[index].key;
}

export function probe_value(index: i32): string {
  return decoded[index].value;
}

export function probe_encode(): ArrayBuffer {
  return serializePairs(decoded);
}

// ---- scenarios run from request headers

const REQUEST = MapType.HttpRequestHeaders;

function report(name: string, value: string): void {
  addHeader(REQUEST, "x-probe-" + name, value);
}

function bytesToString(bytes: ArrayBuffer | null): string {
  return bytes == null ? "(null)" : String.UTF8.decode(bytes);
}

class ProbeStream extends HttpContext {
  onRequestHeaders(numHeaders: u32, endOfStream: bool): Action {
    const scenario = getHeader(REQUEST, "x-probe");
    if (scenario == null) return Action.Continue;
    if (scenario == "pairs") {
      const pairs = getHeaderPairs(REQUEST);
      if (pairs == null) return Action.Continue;
      const reversed = pairs.reverse();
      reversed.push(new Pair("x-probe-count", numHeaders.toString()));
      setHeaderPairs(REQUEST, reversed);
    } else if (scenario == "shared-data") {
      const key = getHeader(REQUEST, "x-probe-key")!;
      const value = getHeader(REQUEST, "x-probe-value")!;
      const before = getSharedData(key);
      report("get-status", (<i32>before.status).toString());
      report("get-value", bytesToString(before.value));
      report("get-cas", before.cas.toString());
      report("set-status", (<i32>setSharedData(key, String.UTF8.encode(value), before.cas)).toString());
      const after = getSharedData(key);
      report("after-value", bytesToString(after.value));
      report("stale-status", (<i32>setSharedData(key, String.UTF8.encode("stale"), after.cas + 1)).toString());
    } else if (scenario == "metrics") {
      const counter = defineMetric(MetricType.Counter, "probe_requests");
      const gauge = defineMetric(MetricType.Gauge, "probe_level");
      report("counter-id", counter.id.toString());
      report("gauge-id", gauge.id.toString());
      report("increment-status", (<i32>incrementMetric(counter.id, 5000000000)).toString());
      report("record-status", (<i32>recordMetric(gauge.id, -7)).toString());
      report("counter-value", getMetric(counter.id).toString());
      report("gauge-value", getMetric(gauge.id).toString());
      report("unknown-metric", getMetric(999).toString());
    } else if (scenario == "property") {
      const rootId = getPropertyString(["plugin_root_id"]);
      report("root-id", rootId == null ? "(null)" : rootId);
      report("path", bytesToString(getProperty(["request", "path"])));
      report("missing", bytesToString(getProperty(["no", "such"])));
    } else if (scenario == "clock") {
      report("now-ms", nowMs().toString());
      report("log-level", (<i32>getLogLevel()).toString());
    } else if (scenario == "missing-header") {
      const value = getHeader(REQUEST, "x-not-there");
      report("missing", value == null ? "(null)" : value);
      report("empty", getHeader(REQUEST, "x-empty")!);
    } else if (scenario == "local-response") {
      sendLocalResponse(418, "probe_teapot", String.UTF8.encode("short and stout"), [
        new Pair("x-probe", "1"), new Pair("x-empty", ""),
      ]);
    } else if (scenario == "abort") {
      throw new Error("probe boom");
    }
    return Action.Continue;
  }

  onRequestBody(bodySize: usize, endOfStream: bool): Action {
    const body = getBufferString(BufferType.HttpRequestBody, 0, bodySize);
    log(LogLevel.Info, "body(" + bodySize.toString() + "): " + (body == null ? "(null)" : body));
    return Action.Continue;
  }
}

class ProbeRoot extends RootContext {
  configuration: string = "";

  onConfigure(configuration: string): bool {
    this.configuration = configuration;
    log(LogLevel.Info, "configured: " + configuration);
    if (configuration == "reject") return false;
    setTickPeriod(1000);
    return true;
  }

  onTick(): void {
    const call = httpCall("tick-cluster", [new Pair(":method", "GET"), new Pair(":path", "/tick"), new Pair(":authority", "tick")], null, 100);
    log(LogLevel.Info, "tick call status " + (<i32>call.status).toString() + " token " + call.token.toString());
  }

  onHttpCallResponse(token: u32, numHeaders: u32, bodySize: usize, numTrailers: u32): void {
    const status = numHeaders == 0 ? getStatus().message : getHeader(MapType.HttpCallResponseHeaders, ":status")!;
    log(LogLevel.Info, "root call " + token.toString() + " answered: " + status);
  }

  createHttpContext(id: u32): HttpContext {
    return new ProbeStream(id, this);
  }
}

registerRoot("probe", (id: u32): RootContext => new ProbeRoot(id));
