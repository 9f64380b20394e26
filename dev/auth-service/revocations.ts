/** Revoked token ids (jti) kept until the token would have expired anyway, so the list stays bounded. */
export class RevocationList {
  private readonly expiryByJti = new Map<string, number>();

  revoke(jti: string, expSeconds: number, nowSeconds: number): void {
    this.expiryByJti.set(jti, expSeconds);
    this.forgetExpired(nowSeconds);
  }

  isRevoked(jti: string): boolean {
    return this.expiryByJti.has(jti);
  }

  get size(): number {
    return this.expiryByJti.size;
  }

  private forgetExpired(nowSeconds: number): void {
    for (const [jti, exp] of this.expiryByJti) {
      if (exp <= nowSeconds) this.expiryByJti.delete(jti);
    }
  }
}
