// Which Step RPC Kong sends back after a PDK call (`get_step_method` in `rpc/mp_rpc.lua`). StepError is
// unreachable in Kong (call_pdk_method returns only the first value), so it is never chosen here either.
const STEP_BY_PDK_METHOD: Readonly<Record<string, string>> = {
  "kong.client.get_credential": "plugin.StepCredential",
  "kong.client.load_consumer": "plugin.StepConsumer",
  "kong.client.get_consumer": "plugin.StepConsumer",
  "kong.client.authenticate": "plugin.StepCredential",
  "kong.node.get_memory_stats": "plugin.StepMemoryStats",
  "kong.router.get_route": "plugin.StepRoute",
  "kong.router.get_service": "plugin.StepService",
  "kong.request.get_query": "plugin.StepMultiMap",
  "kong.request.get_headers": "plugin.StepMultiMap",
  "kong.response.get_headers": "plugin.StepMultiMap",
  "kong.service.response.get_headers": "plugin.StepMultiMap",
};

export function stepMethodFor(pdkMethod: string): string {
  return STEP_BY_PDK_METHOD[pdkMethod] ?? "plugin.Step";
}

/** fix_mmap: a string value travels as `[value]`, a flag query arg (`true`) as `[]`, an empty map as `{}`. */
export function shapeMultiMap(value: unknown): unknown {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return value;
  const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>; // `__proto__` is a plain key in Lua
  for (const [k, v] of Object.entries(value)) {
    if (v === true) out[k] = [];
    else if (typeof v === "string") out[k] = [v];
    else out[k] = v; // arrays pass unchanged, even `[true, "1"]` from `?a&a=1`
  }
  return out;
}
