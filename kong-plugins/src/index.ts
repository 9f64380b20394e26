// The `meshgate` Kong plugin, loaded by kong-js-pluginserver (one plugin per plugin server, Kong >= 3.9).
import { runAccess } from "./access";
import type { KongPdk } from "./pdk";
import { INTERNAL_ERRORS_TOTAL } from "./metrics";
import { type PolicyRuntime, runtimeForKongConfig } from "./runtime";
import { flushOperationalLog } from "./plugin-logs";
import { Schema as schemaFields } from "./schema";

export const Name = "meshgate";
export const Version = "0.1.0";
/**
 * After Kong's authentication plugins (jwt 1450, oauth2 1400, key-auth 1250, basic-auth 1100, hmac-auth 1030)
 * and after ip-restriction (990), so a blocked client never costs an auth-service call; before acl (950) and the
 * bundled rate-limiting (910), so requests meshgate rejects are never counted there. meshgate does not call
 * kong.client.authenticate (one more round trip per request, and its subjects are not Kong consumers): it
 * limits by verified subject itself.
 */
export const Priority = 985;
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
      this.runtime.metrics.increment(INTERNAL_ERRORS_TOTAL);
      await kong.log.err(`meshgate: internal error, request refused: ${error instanceof Error ? error.message : String(error)}`);
      await flushOperationalLog(kong);
      return kong.response.exit(status, JSON.stringify({ error: "internal_error", message: "request refused by meshgate" }), { "content-type": "application/json" });
    }
  }
}

export const Plugin = MeshgatePlugin;
