import { type CryptoKey, type JWK, calculateJwkThumbprint, exportJWK, generateKeyPair } from "jose";

export const SIGNING_ALG = "ES256";

export interface SigningKeys {
  kid: string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  jwks: { keys: JWK[] };
}

/** A fresh key pair per process start: nothing on disk, tokens die with the process. */
export async function generateSigningKeys(): Promise<SigningKeys> {
  const { privateKey, publicKey } = await generateKeyPair(SIGNING_ALG);
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  return {
    kid,
    privateKey,
    publicKey,
    jwks: { keys: [{ ...publicJwk, kid, alg: SIGNING_ALG, use: "sig" }] },
  };
}
