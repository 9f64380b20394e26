import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { http, jsonOf, postForm, postJson } from "./http-client.js";

const root = join(fileURLToPath(import.meta.url), "../../..");
const children: ChildProcess[] = [];

beforeAll(() => {
  execFileSync(process.execPath, [join(root, "scripts/build.mjs"), "dev"], { cwd: root, stdio: "pipe", timeout: 120_000 });
}, 130_000);

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
});

function start(entry: string, args: string[], env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, [join(root, "build/dev", entry), ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  return child;
}

/** The first stdout line matching `pattern`; rejects if the process exits first or the deadline passes. */
function lineMatching(child: ChildProcess, pattern: RegExp, deadlineMs = 10_000): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    const timer = setTimeout(() => reject(new Error(`no line matching ${pattern} within ${deadlineMs} ms`)), deadlineMs);
    const done = (): void => {
      clearTimeout(timer);
      lines.close();
    };
    lines.on("line", (line) => {
      const match = pattern.exec(line);
      if (match !== null) {
        done();
        resolve(match);
      }
    });
    child.once("exit", (code) => {
      done();
      reject(new Error(`process exited with ${code} before printing ${pattern}`));
    });
  });
}

async function exitOf(child: ChildProcess): Promise<{ code: number | null; stderr: string }> {
  let stderr = "";
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const [code] = (await once(child, "exit")) as [number | null];
  return { code, stderr };
}

describe("auth-service main", () => {
  it("prints its URL, serves tokens and exits 0 on SIGTERM", async () => {
    const child = start("auth-service/main.mjs", [], { AUTH_PORT: "0" });
    const [, url] = await lineMatching(child, /^auth-service listening on (http:\/\/127\.0\.0\.1:\d+)$/);
    const token = String(jsonOf(await postJson(`${url}/token`, { sub: "alice" })).access_token);
    expect(jsonOf(await postForm(`${url}/introspect`, { token })).active).toBe(true);
    const exited = exitOf(child);
    child.kill("SIGTERM");
    expect((await exited).code).toBe(0);
  });

  it("exits 0 on SIGINT too", async () => {
    const child = start("auth-service/main.mjs", [], { AUTH_PORT: "0" });
    await lineMatching(child, /^auth-service listening on /);
    const exited = exitOf(child);
    child.kill("SIGINT");
    expect((await exited).code).toBe(0);
  });

  it("refuses a bad AUTH_PORT with a clear message", async () => {
    const { code, stderr } = await exitOf(start("auth-service/main.mjs", [], { AUTH_PORT: "http" }));
    expect(code).toBe(2);
    expect(stderr).toContain("AUTH_PORT must be a port number");
  });

  it("refuses a bad AUTH_ALG and a bad AUTH_KEY_GRACE_SECONDS with clear messages", async () => {
    const badAlg = await exitOf(start("auth-service/main.mjs", [], { AUTH_PORT: "0", AUTH_ALG: "HS256" }));
    expect(badAlg.code).toBe(2);
    expect(badAlg.stderr).toContain("AUTH_ALG must be one of ES256, RS256");
    const badGrace = await exitOf(start("auth-service/main.mjs", [], { AUTH_PORT: "0", AUTH_KEY_GRACE_SECONDS: "-1" }));
    expect(badGrace.code).toBe(2);
    expect(badGrace.stderr).toContain("AUTH_KEY_GRACE_SECONDS must be an integer");
  });

  it("AUTH_ALG=RS256 makes RS256 the algorithm of tokens that name none", async () => {
    const child = start("auth-service/main.mjs", [], { AUTH_PORT: "0", AUTH_ALG: "RS256" });
    const [, url] = await lineMatching(child, /^auth-service listening on (http:\/\/127\.0\.0\.1:\d+)$/);
    const token = String(jsonOf(await postJson(`${url}/token`, { sub: "alice" })).access_token);
    expect(JSON.parse(Buffer.from(token.split(".")[0]!, "base64url").toString("utf8")).alg).toBe("RS256");
    expect(jsonOf(await postForm(`${url}/introspect`, { token })).active).toBe(true);
    const exited = exitOf(child);
    child.kill("SIGTERM");
    expect((await exited).code).toBe(0);
  });
});

describe("upstream main", () => {
  it("prints its URL, echoes its variant and exits 0 on SIGTERM", async () => {
    const child = start("upstream/main.mjs", ["--variant", "canary", "--port", "0"], {});
    const [, url] = await lineMatching(child, /^upstream canary listening on (http:\/\/127\.0\.0\.1:\d+)$/);
    expect(jsonOf(await http(`${url}/x`))).toMatchObject({ variant: "canary", path: "/x" });
    const exited = exitOf(child);
    child.kill("SIGTERM");
    expect((await exited).code).toBe(0);
  });

  it("reads UPSTREAM_VARIANT and UPSTREAM_PORT", async () => {
    const child = start("upstream/main.mjs", [], { UPSTREAM_VARIANT: "stable", UPSTREAM_PORT: "0" });
    const [, url] = await lineMatching(child, /^upstream stable listening on (http:\/\/127\.0\.0\.1:\d+)$/);
    expect(jsonOf(await http(url!)).variant).toBe("stable");
  });

  it("exits 2 with usage on a bad variant", async () => {
    const { code, stderr } = await exitOf(start("upstream/main.mjs", ["--variant", "blue"], {}));
    expect(code).toBe(2);
    expect(stderr).toMatch(/variant must be one of stable, canary/);
  });
});
