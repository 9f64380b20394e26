// scripts/build.mjs builds only what is out of date: run on a copy of the parts the `dev` target reads (the fastest
// target), so the test can edit inputs without touching the working tree.
import { execFileSync } from "node:child_process";
import { appendFileSync, cpSync, existsSync, mkdtempSync, rmSync, symlinkSync, utimesSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "../..");
let copy: string;

function build(...args: string[]): string {
  return execFileSync(process.execPath, [join(copy, "scripts/build.mjs"), ...args], { cwd: copy, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

beforeAll(() => {
  copy = mkdtempSync(join(tmpdir(), "mg-build-test-"));
  for (const part of ["scripts/build.mjs", "dev", "shared/portable-node.ts", "shared/src", "kong-plugins/src", "package-lock.json"]) {
    cpSync(join(root, part), join(copy, part), { recursive: true, filter: (src) => !src.includes("/build/") });
  }
  symlinkSync(join(root, "node_modules"), join(copy, "node_modules"));
});

afterAll(() => {
  rmSync(copy, { recursive: true, force: true });
});

describe("scripts/build.mjs", () => {
  it("builds a target once, then says it is up to date until an input's content changes", () => {
    expect(build("dev")).toMatch(/^build: dev …\nbuild: dev built in \d+\.\d s\n$/);
    expect(existsSync(join(copy, "build/dev/stack/main.mjs"))).toBe(true);
    expect(build("dev")).toBe("build: dev up to date\n");

    // A touched file with the same content is not a change.
    const banner = join(copy, "dev/stack/banner.ts");
    utimesSync(banner, new Date(), new Date());
    expect(build("dev")).toBe("build: dev up to date\n");

    appendFileSync(banner, "\n// edited\n");
    expect(build("dev")).toMatch(/^build: dev …\n/);
    expect(build("dev")).toBe("build: dev up to date\n");
  }, 60_000);

  it("rebuilds when an output is missing, and always with --force", () => {
    build("dev");
    rmSync(join(copy, "build/dev/stack/main.mjs"));
    expect(build("dev")).toMatch(/^build: dev …\n/);
    expect(existsSync(join(copy, "build/dev/stack/main.mjs"))).toBe(true);
    expect(build("--force", "dev")).toMatch(/^build: dev …\n/);
  }, 60_000);

  it("refuses an unknown target, naming the known ones", () => {
    expect(() => build("everything")).toThrow(/unknown target 'everything' \(known: core, dev, cli, kong, wasm\)/);
  });
});
