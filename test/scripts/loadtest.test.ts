// scripts/loadtest.mjs with a stand-in `k6` executable on PATH that reports a version and echoes its arguments.
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "../..");
const dirs: string[] = [];

function fakeK6(version: string | null): string {
  const dir = mkdtempSync(join(tmpdir(), "mg-fake-k6-"));
  dirs.push(dir);
  if (version !== null) {
    writeFileSync(join(dir, "k6"), `#!/bin/sh\nif [ "$1" = version ]; then echo "k6 ${version} (commit/devel, go1.22, linux/amd64)"; exit 0; fi\necho "k6 ran: $*"\n`);
    chmodSync(join(dir, "k6"), 0o755);
  }
  return dir;
}

function loadtest(pathDir: string, ...args: string[]) {
  // Only the fake k6's directory: a real k6 elsewhere on the machine cannot be found.
  const result = spawnSync(process.execPath, [join(root, "scripts/loadtest.mjs"), ...args], { env: { ...process.env, PATH: pathDir }, encoding: "utf8", timeout: 30_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe("npm run loadtest", () => {
  it.each(["v0.48.0", "v0.52.0", "v1.0.0", "v2.2.0"])("runs the scenario with a supported k6 (%s)", (version) => {
    expect(loadtest(fakeK6(version), "smoke")).toEqual({ status: 0, stdout: `k6 ran: run ${join(root, "load-tests/smoke.js")}\n`, stderr: "" });
  });

  it("refuses a k6 older than v0.48.0, the oldest the scripts are written for", () => {
    const result = loadtest(fakeK6("v0.47.0"), "smoke");
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("k6 v0.47.0 is older than v0.48.0");
    expect(result.stdout).toBe("");
  });

  it("says how to install k6 when there is none", () => {
    const result = loadtest(fakeK6(null), "smoke");
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("k6 is not on PATH");
  });
});
