// proxy_get_property: the subset of Envoy's attribute tree (Context::findValue / getProperty) the
// dev host knows. Path segments are NUL-separated. Strings are returned as raw bytes, integers as
// 8 bytes little-endian, maps in pairs encoding. Anything else is NotFound.

import type { ContextBase } from "./contexts.js";
import type { HeaderMap } from "./header-map.js";
import { serializePairs } from "./pairs.js";

function str(s: string): Uint8Array { return Buffer.from(s, "latin1"); }

function int64(n: number | bigint): Uint8Array {
  const out = Buffer.alloc(8);
  out.writeBigInt64LE(BigInt(n));
  return out;
}

function headersValue(map: HeaderMap, rest: string[]): Uint8Array | null {
  if (rest.length === 0) return serializePairs(map.pairs());
  if (rest.length > 1) return null;
  const values = map.getAll(rest[0] ?? "");
  return values.length ? str(values.join(",")) : null;
}

function splitAddress(address: string): { ip: string; port: number } {
  const i = address.lastIndexOf(":");
  return i < 0 ? { ip: address, port: 0 } : { ip: address.slice(0, i), port: Number(address.slice(i + 1)) || 0 };
}

export function resolveProperty(ctx: ContextBase, segments: string[]): Uint8Array | null {
  const env = ctx.vm.env;
  const [top = "", ...rest] = segments;
  if (rest.length === 0) {
    if (top === "plugin_name") return str(env.pluginName);
    if (top === "plugin_root_id") return str(env.rootId);
    if (top === "plugin_vm_id") return str(env.vmId);
  }
  const info = ctx.streamCallbacks?.info;
  if (!info) return null;
  const [field, ...more] = rest;
  switch (top) {
    case "connection_id":
      return rest.length === 0 ? int64(info.connectionId) : null;
    case "route_name":
      return rest.length === 0 && info.routeName !== null ? str(info.routeName) : null;
    case "cluster_name":
      return rest.length === 0 && info.clusterName !== null ? str(info.clusterName) : null;
    case "source":
    case "destination": {
      if (more.length) return null;
      const address = top === "source" ? info.clientAddress : info.localAddress;
      if (field === "address") return str(address);
      if (field === "port") return int64(splitAddress(address).port);
      return null;
    }
    case "request": {
      const headers = info.requestHeaders();
      if (field === "headers") return headersValue(headers, more);
      if (more.length) return null;
      const path = headers.get(":path") ?? "";
      const simple: Record<string, string | undefined> = {
        path,
        url_path: path.split("?")[0],
        host: headers.get(":authority"),
        scheme: headers.get(":scheme"),
        method: headers.get(":method"),
        referer: headers.get("referer"),
        useragent: headers.get("user-agent"),
        id: headers.get("x-request-id"),
        protocol: info.protocol,
      };
      if (field === "time") return int64(BigInt(info.startTimeMs) * 1_000_000n);
      const value = field === undefined ? undefined : simple[field];
      return value === undefined ? null : str(value);
    }
    case "response": {
      if (field === "headers") {
        const headers = info.responseHeaders();
        return headers ? headersValue(headers, more) : null;
      }
      if (more.length) return null;
      if (field === "code") return info.responseCode === null ? null : int64(info.responseCode);
      if (field === "code_details") return info.responseCodeDetails === null ? null : str(info.responseCodeDetails);
      return null;
    }
    default: {
      // Filter state written by proxy_set_property (Envoy stores it as "wasm.<path>").
      if (rest.length) return null;
      const value = info.filterState.get(top);
      return value ? Uint8Array.from(value) : null;
    }
  }
}
