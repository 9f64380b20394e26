// The config table Kong sends in StartInstance: the schema-processed `config` plus the keys
// `plugins_iterator.lua get_plugin_config` adds. route_id/service_id/consumer_id are nil for a global plugin,
// and nil keys do not exist in the cjson output — so they are absent, as is plugin_instance_name.
import { randomUUID } from "node:crypto";
import { processPluginConfig } from "./kong-schema.js";

export const DEFAULT_WORKSPACE_ID = "00000000-0000-4000-8000-000000000000";

export class KongPluginConfig {
  readonly pluginId = randomUUID();
  private seqCounter = 0;
  private current: Record<string, unknown>;

  constructor(private readonly pluginName: string, private readonly schema: unknown, config: Record<string, unknown>) {
    this.current = this.build(config);
  }

  /** The table Kong would JSON-encode into StartInstance's `Config`. */
  get(): Record<string, unknown> {
    return this.current;
  }

  seq(): number {
    return this.current["__seq__"] as number;
  }

  /** A config change (Admin API / declarative reload): validated, and a new `__seq__`. Throws SchemaViolation. */
  update(config: Record<string, unknown>): void {
    this.current = this.build(config);
  }

  private build(config: Record<string, unknown>): Record<string, unknown> {
    const processed = processPluginConfig(this.schema, config);
    this.seqCounter += 1;
    return {
      ...processed,
      __plugin_id: this.pluginId,
      __ws_id: DEFAULT_WORKSPACE_ID,
      __key__: `plugins:${this.pluginName}:::::${DEFAULT_WORKSPACE_ID}`,
      __seq__: this.seqCounter,
    };
  }
}
