import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    setupFiles: ["test/support/portable-globals.ts"],
    // Sized for a slow, busy 2-core machine: most tests start processes and sockets. Heavy tests set their own.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    teardownTimeout: 30_000,
    // The skip reasons first, so vitest's closing lines stay the last lines of the run.
    reporters: ["./test/support/skip-reasons-reporter.ts", "default"],
  },
});
