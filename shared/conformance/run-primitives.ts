// Conformance kinds for the primitives: json.*, utf8.*, sha256, fnv1a32, path.*, header.fold.
import { JsonValue, parseJson, jsonPointer } from "../src/json";
import { utf8Decode, utf8Encode, utf8TextOf } from "../src/utf8";
import { fnv1a32, sha256, toHex } from "../src/digest";
import { pathMatches, readPath, targetRefusal } from "../src/request-path";
import { foldHeaderName } from "../src/owned-headers";
import { bytesOf, str, strings } from "./inputs";

export function runPrimitives(kind: string, input: JsonValue): JsonValue | null {
  if (kind == "json.parse") {
    // input: { text } → { ok, value? } (numbers compared by value, not by their printed form)
    const parsed = parseJson(str(input, "text", ""));
    const out = JsonValue.object().setBool("ok", parsed.ok());
    if (parsed.ok()) out.set("value", parsed.value!);
    return out;
  }
  if (kind == "json.pointer") {
    // input: { text, pointer } → { found, value? }
    const parsed = parseJson(str(input, "text", ""));
    const out = JsonValue.object();
    if (!parsed.ok()) return out.setBool("found", false);
    const hit = jsonPointer(parsed.value!, str(input, "pointer", ""));
    out.setBool("found", hit != null);
    if (hit != null) out.set("value", hit);
    return out;
  }
  if (kind == "utf8.decode") {
    // input: { bytes: [..] } → { text }
    return JsonValue.object().setString("text", utf8Decode(bytesOf(input.get("bytes"))));
  }
  if (kind == "utf8.text") {
    // input: { bytes: [..] } → { text } when well-formed UTF-8, else { valid: false } (the auth answers' rule)
    const bytes = bytesOf(input.get("bytes"));
    let byteString = "";
    for (let i = 0; i < bytes.length; i++) byteString += String.fromCharCode(bytes[i]);
    const text = utf8TextOf(byteString);
    return text != null ? JsonValue.object().setString("text", text) : JsonValue.object().setBool("valid", false);
  }
  if (kind == "utf8.encode") {
    // input: { text } → { bytes: [..] }
    const bytes = utf8Encode(str(input, "text", ""));
    const arr = JsonValue.array();
    for (let i = 0; i < bytes.length; i++) arr.push(JsonValue.ofNumber(f64(bytes[i])));
    return JsonValue.object().set("bytes", arr);
  }
  if (kind == "sha256") {
    // input: { text } or { bytes } → { hex }
    const bytesValue = input.get("bytes");
    const data = bytesValue != null ? bytesOf(bytesValue) : utf8Encode(str(input, "text", ""));
    return JsonValue.object().setString("hex", toHex(sha256(data)));
  }
  if (kind == "fnv1a32") {
    // input: { text } → { hash }
    return JsonValue.object().setNumber("hash", f64(fnv1a32(utf8Encode(str(input, "text", "")))));
  }
  if (kind == "path.read") {
    // input: { path } (a byte string: one character per byte) → { canonical, literal, ambiguity }
    const reading = readPath(str(input, "path", ""));
    return JsonValue.object().setString("canonical", reading.canonical).setString("literal", reading.literal)
      .setString("ambiguity", reading.ambiguity);
  }
  if (kind == "path.refusal") {
    // input: { target } → { refusal } ("" = not refused)
    return JsonValue.object().setString("refusal", targetRefusal(str(input, "target", "")));
  }
  if (kind == "path.matches") {
    // input: { rules: [..], path } → { matches }
    return JsonValue.object().setBool("matches", pathMatches(strings(input, "rules"), str(input, "path", "")));
  }
  if (kind == "header.fold") {
    // input: { name } → { folded }
    return JsonValue.object().setString("folded", foldHeaderName(str(input, "name", "")));
  }
  return null;
}
