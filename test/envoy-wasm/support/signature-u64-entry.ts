// asc-only test entry: the conformance kinds (shared/conformance/entry.ts) with the Envoy plane's
// U64SignatureVerifier in place of the portable one, so the signature, JWS and JWT suites run on the verifier
// the filter uses. Compiled by test/envoy-wasm/support/signature-u64-build.ts.
import { useSignatureVerifier } from "../../../shared/conformance/verifier";
import { U64SignatureVerifier } from "../../../envoy-wasm/assembly/filter/signature-u64";

useSignatureVerifier(new U64SignatureVerifier());

export { runVector, benchVerify } from "../../../shared/conformance/entry";
