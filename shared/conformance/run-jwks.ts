// Conformance kind `jwks.refresh`: one JwksRefresh driven through a list of host events.
// Input: { settings: {refreshSeconds, minRefetchSeconds, staleSeconds}, ops: [
//   {op: "plan", now, unknownKid?}   → "use" | "fetch" | "wait"
//   {op: "due", now}                 → boolean
//   {op: "begin", now}               → null
//   {op: "fetched", now, body}       → "" or why the body was refused
//   {op: "failed", now, reason?}     → null
//   {op: "adopt", fetchedAt, body}   → "" or why the body was refused
//   {op: "usable", now}              → the usable set's kids in order, or null ] }
// Output: { results: [one per op] }.
import { JsonValue } from "../src/json";
import { JwksRefresh, keysPlanName } from "../src/jwks-refresh";
import { JwtSettings } from "../src/policy";
import { boolean, num, str, stringArray } from "./inputs";

export function runJwks(kind: string, input: JsonValue): JsonValue | null {
  if (kind != "jwks.refresh") return null;
  const settings = new JwtSettings();
  const s = input.get("settings");
  if (s != null) {
    settings.refreshSeconds = i32(num(s, "refreshSeconds", f64(settings.refreshSeconds)));
    settings.minRefetchSeconds = i32(num(s, "minRefetchSeconds", f64(settings.minRefetchSeconds)));
    settings.staleSeconds = i32(num(s, "staleSeconds", f64(settings.staleSeconds)));
  }
  const refresh = new JwksRefresh(settings);
  const results = JsonValue.array();
  const ops = input.get("ops");
  if (ops == null || !ops.isArray()) return JsonValue.object().setString("harnessError", "ops missing");
  for (let i = 0; i < ops.items.length; i++) {
    const op = ops.items[i];
    const name = str(op, "op", "");
    const now = num(op, "now", 0);
    if (name == "plan") results.push(JsonValue.ofString(keysPlanName(refresh.plan(now, boolean(op, "unknownKid", false)))));
    else if (name == "due") results.push(JsonValue.ofBool(refresh.due(now)));
    else if (name == "begin") {
      refresh.begin(now);
      results.push(JsonValue.nul());
    } else if (name == "fetched") results.push(JsonValue.ofString(refresh.onFetched(str(op, "body", ""), now)));
    else if (name == "failed") {
      refresh.onFetchFailed(str(op, "reason", "timeout"), now);
      results.push(JsonValue.nul());
    } else if (name == "adopt") results.push(JsonValue.ofString(refresh.adopt(str(op, "body", ""), num(op, "fetchedAt", 0))));
    else if (name == "usable") {
      const set = refresh.usable(now);
      if (set == null) results.push(JsonValue.nul());
      else {
        const kids = new Array<string>();
        for (let k = 0; k < set.keys.length; k++) kids.push(set.keys[k].kid);
        results.push(stringArray(kids));
      }
    } else return JsonValue.object().setString("harnessError", "unknown op " + name);
  }
  return JsonValue.object().set("results", results);
}
