// Preloaded into the plugin server (NODE_OPTIONS=--require) by Kong's dev host when a test drives the plugin's
// clock (plugin-clock.ts): installs the clock meshgate's plugin reads (kong-plugins/src/clock.ts), which reads
// the epoch milliseconds written in the file MESHGATE_DEV_CLOCK_FILE names. Never part of a real deployment.
"use strict";
const { readFileSync } = require("node:fs");

const file = process.env.MESHGATE_DEV_CLOCK_FILE;
if (file) {
  globalThis[Symbol.for("meshgate.plugin-clock")] = {
    now() {
      const ms = Number(readFileSync(file, "latin1"));
      if (!Number.isFinite(ms)) throw new Error(`dev clock file ${file} does not hold a number`);
      return ms;
    },
  };
}
