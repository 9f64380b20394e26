// The signature verifier the conformance kinds and benchmarks use: the portable one, unless an entry that
// embeds them supplies a plane's own (envoy-wasm/probe/signature-u64.ts runs them on the Envoy plane's
// U64SignatureVerifier).
import { SignatureVerifier } from "../src/signature";

let selected: SignatureVerifier = new SignatureVerifier();

export function useSignatureVerifier(verifier: SignatureVerifier): void { selected = verifier; }

export function signatureVerifier(): SignatureVerifier { return selected; }
