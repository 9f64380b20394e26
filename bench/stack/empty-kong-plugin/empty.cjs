// The benchmark's baseline Kong plugin: an access phase that does nothing. Kong still runs the phase over the
// plugin server's socket (HandleEvent → "ret"), so this measures the plugin-server round trip without meshgate.
// CommonJS because kong-js-pluginserver loads plugins with require().
"use strict";

class EmptyPlugin {
  constructor(config) {
    this.config = config;
  }

  async access() {}
}

module.exports = { Plugin: EmptyPlugin, Name: "empty", Version: "0.1.0", Priority: 1000, Schema: [] };
