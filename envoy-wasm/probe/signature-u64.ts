// The conformance kinds (shared/conformance/entry.ts) with the Envoy plane's U64SignatureVerifier in place of the
// portable one, so the signature, JWS and JWT suites and bench:jwt run on the verifier the filter uses. asc only
// (the verifier uses 64-bit integers and raw memory); `node scripts/build.mjs core` compiles it to
// build/core/core-u64.wasm beside the core's own builds.
import { useSignatureVerifier } from "../../shared/conformance/verifier";
import { U64SignatureVerifier } from "../assembly/filter/signature-u64";

useSignatureVerifier(new U64SignatureVerifier());

export { runVector, benchVerify } from "../../shared/conformance/entry";
