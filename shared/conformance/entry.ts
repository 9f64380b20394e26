// Conformance entry point, compiled twice: by esbuild/tsc for Node and by asc for wasm.
// Every decision kind takes a JSON input and returns a JSON output, so a vector can be run
// against both builds and the outputs compared byte for byte.
import { JsonValue, parseJson, stringifyJson } from "../src/json";
import { runPrimitives } from "./run-primitives";
import { runAuth } from "./run-auth";
import { runPolicy } from "./run-policy";
import { runLimits } from "./run-limits";
import { runFlow } from "./run-flow";
import { runSignature } from "./run-signature";
import { runJwks } from "./run-jwks";

export function runVector(kind: string, input: string): string {
  const parsed = parseJson(input);
  if (!parsed.ok()) return errorOutput("input is not JSON: " + parsed.error);
  const value = parsed.value!;
  let out: JsonValue | null = runPrimitives(kind, value);
  if (out == null) out = runAuth(kind, value);
  if (out == null) out = runPolicy(kind, value);
  if (out == null) out = runLimits(kind, value);
  if (out == null) out = runFlow(kind, value);
  if (out == null) out = runSignature(kind, value);
  if (out == null) out = runJwks(kind, value);
  if (out == null) return errorOutput("unknown kind " + kind);
  return stringifyJson(out);
}

function errorOutput(message: string): string {
  return stringifyJson(JsonValue.object().setString("harnessError", message));
}

export { benchCacheKey, benchInterpret, benchCanary, benchGcra, benchValidate, benchVerify, benchParseJwk } from "./bench";
