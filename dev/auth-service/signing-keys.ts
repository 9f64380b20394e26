import { type CryptoKey, type JWK, calculateJwkThumbprint, exportJWK, generateKeyPair } from "jose";

/** The algorithms the service signs with; every one has a current key at all times. */
export const SIGNING_ALGORITHMS = ["ES256", "RS256"] as const;
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];
export const DEFAULT_SIGNING_ALGORITHM: SigningAlgorithm = "ES256";

export function isSigningAlgorithm(value: unknown): value is SigningAlgorithm {
  return typeof value === "string" && (SIGNING_ALGORITHMS as readonly string[]).includes(value);
}

export interface SigningKey {
  alg: SigningAlgorithm;
  /** The public key's RFC 7638 JWK thumbprint. */
  kid: string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  /** The public JWK as published in the JWKS (kid, alg, use included). */
  publicJwk: JWK;
}

/** A fresh key pair: nothing on disk, tokens die with the process. RSA keys are 2048 bits (jose's default). */
export async function generateSigningKey(alg: SigningAlgorithm): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg);
  const exported = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(exported);
  return { alg, kid, privateKey, publicKey, publicJwk: { ...exported, kid, alg, use: "sig" } };
}
