// Conformance kinds for policy validation (shared/README.md is the reference):
//   policy.validate        { document } | { text } → { valid, errors }
//   policy.normalize       { document }            → { valid: true, policy } | { valid: false, errors }
//   policy.identityHeaders { document }            → { headers }            | { valid: false, errors }
//   policy.planeGaps       { document, plane }     → { gaps }               | { valid: false, errors }
import { JsonValue } from "../src/json";
import { PolicyResult, parsePolicy, policyFromJson } from "../src/policy-parse";
import { policyToJson } from "../src/policy-json";
import { identityHeaderNames } from "../src/identity-headers";
import { planeGaps, planeNamed } from "../src/plane-completeness";
import { stringArray } from "./inputs";

export function runPolicy(kind: string, input: JsonValue): JsonValue | null {
  if (kind != "policy.validate" && kind != "policy.normalize" && kind != "policy.identityHeaders" && kind != "policy.planeGaps") return null;
  const result = resultOf(input);
  if (result == null) return JsonValue.object().setString("harnessError", "input needs \"document\" or \"text\"");
  if (kind == "policy.validate") return validity(result);
  const policy = result.policy;
  if (policy == null) return validity(result);
  if (kind == "policy.normalize") return JsonValue.object().setBool("valid", true).set("policy", policyToJson(policy));
  if (kind == "policy.planeGaps") {
    const planeValue = input.get("plane");
    const plane = planeValue != null && planeValue.isString() ? planeNamed(planeValue.str) : -1;
    if (plane < 0) return JsonValue.object().setString("harnessError", "input needs \"plane\": \"kong\" or \"envoy\"");
    return JsonValue.object().set("gaps", stringArray(planeGaps(policy, plane)));
  }
  return JsonValue.object().set("headers", stringArray(identityHeaderNames(policy)));
}

function resultOf(input: JsonValue): PolicyResult | null {
  const document = input.get("document");
  if (document != null) return policyFromJson(document);
  const text = input.get("text");
  if (text != null && text.isString()) return parsePolicy(text.str);
  return null;
}

function validity(result: PolicyResult): JsonValue {
  return JsonValue.object().setBool("valid", result.errors.length == 0).set("errors", stringArray(result.errors));
}
