// The `meshgate` Kong plugin, loaded by kong-js-pluginserver (one plugin per plugin server, Kong >= 3.9).
import { runAccess } from "./access";
import type { KongPdk } from "./pdk";
import { type PolicyRuntime, runtimeForKongConfig } from "./runtime";
import { Schema as schemaFields } from "./schema";

export const Name = "meshgate";
export const Version = "0.1.0";
/**
 * After Kong's own authentication plugins (jwt 1450, key-auth 1250, basic-auth 1100) and before
 * acl (950) and the bundled rate-limiting (910). meshgate does not call kong.client.authenticate
 * (one more round trip per request, and its subjects are not Kong consumers); it limits by subject itself.
 */
export const Priority = 1000;
export const Schema = schemaFields;

class MeshgatePlugin {
  private readonly runtime: PolicyRuntime;

  /** Throws on an invalid policy: Kong's StartInstance fails with the message naming each field. */
  constructor(config: Record<string, unknown>) {
    this.runtime = runtimeForKongConfig(config);
  }

  /**
   * kong-pdk turns an exception into "ret", and Kong then proxies the request unauthenticated, so
   * nothing may escape: an unexpected error answers with the policy's failure status.
   */
  async access(kong: KongPdk): Promise<void> {
    try {
      await runAccess(kong, this.runtime);
    } catch (error) {
      const failure = this.runtime.engine.policy.auth.failure;
      const status = failure.status >= 500 ? failure.status : 500;
      await kong.log.err(`meshgate: internal error, request refused: ${error instanceof Error ? error.message : String(error)}`);
      return kong.response.exit(status, JSON.stringify({ error: "internal_error", message: "request refused by meshgate" }), { "content-type": "application/json" });
    }
  }
}

export const Plugin = MeshgatePlugin;
