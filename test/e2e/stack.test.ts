// End to end: the local stack started as `npm start` starts it (every part a child process, here on random
// free ports), with the default policy, checked through both planes' gateways over real HTTP.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startStack, type AccessLine, type ChildExit, type Stack } from "../../dev/stack/index.js";
import { canaryBucket } from "../planes/oracle.js";
import { bearer, mapLimit, StackClient } from "./stack-client.js";

const PLANES = ["kong", "envoy"] as const;
type Plane = (typeof PLANES)[number];

const STARTUP_MS = 120_000;

let stack: Stack;
const client = new StackClient();
const accessLines: AccessLine[] = [];
const decisionLines: Array<{ plane: string; json: string }> = [];

function section(name: string): Record<string, unknown> {
  return stack.policy[name] as Record<string, unknown>;
}

/** The default policy's numbers, read from the policy the stack runs (dev/policy.yaml). */
function canaryPercentage(): number {
  return section("canary")["percentage"] as number;
}

function limitCapacity(): number {
  return (section("rateLimit")["burst"] as number) + 1;
}

/** A subject the percentage split keeps on stable, so a canary answer can only come from an override. */
function stableSubject(base: string): string {
  for (let i = 0; ; i += 1) {
    const subject = `${base}-${i}`;
    if (canaryBucket("", subject) >= canaryPercentage() * 100) return subject;
  }
}

function gateway(plane: Plane): string {
  return stack.urls[plane];
}

async function authStats(): Promise<Record<string, number>> {
  return (await client.json(`${stack.urls.auth}/stats`)) as Record<string, number>;
}

beforeAll(async () => {
  stack = await startStack({ onAccess: (line) => accessLines.push(line), onDecision: (plane, json) => decisionLines.push({ plane, json }) });
}, STARTUP_MS);

afterAll(async () => {
  await stack?.stop();
  await client.close();
}, 30_000);

describe.each(PLANES)("the %s plane of the running stack", (plane) => {
  it("answers 401 with a Bearer challenge when there is no token", async () => {
    const r = await client.get(gateway(plane), "/orders");
    expect(r.status).toBe(401);
    expect(r.headers["www-authenticate"]).toMatch(/^Bearer realm="/);
    expect(r.echo).toBeNull();
  });

  it("shows the decision in the stack's output and counts it on the plane's metrics, naming route, section and reason", async () => {
    const r = await client.get(gateway(plane), "/observed", { "x-request-id": `observed-${plane}` });
    expect(r.status).toBe(401);
    // Kong's line arrives on the plugin server's output, asynchronously: wait for it by its request id.
    await expect.poll(() => decisionLines.find((l) => l.json.includes(`"request_id":"observed-${plane}"`)), { timeout: 20_000, interval: 100 })
      .toBeTruthy();
    const line = JSON.parse(decisionLines.find((l) => l.json.includes(`"request_id":"observed-${plane}"`))!.json) as Record<string, unknown>;
    expect(line).toMatchObject({ plane, route: "default", section: "auth", shadow: false, outcome: "deny", reason: "token_missing", status: 401 });
    const url = plane === "kong" ? stack.urls.kongMetrics : stack.urls.envoyMetrics;
    const series = 'meshgate_decisions_total{route="default",section="auth",outcome="deny",reason="token_missing"}';
    // Envoy's filter writes its counts at the latest on its next tick (1 s).
    await expect.poll(async () => (await (await fetch(url)).text()).split("\n").some((l) => l.startsWith(`${series} `)), { timeout: 20_000, interval: 200 })
      .toBe(true);
  });

  it("forwards a good token to stable with the identity headers", async () => {
    const subject = stableSubject(`${plane}-ok`);
    const token = await client.token(stack.urls.auth, subject, ["staff", "ops"]);
    const r = await client.get(gateway(plane), "/orders/42", bearer(token));
    expect(r.status).toBe(200);
    expect(r.echo?.variant).toBe("stable");
    expect(r.echo?.headers["x-auth-subject"]).toBe(subject);
    expect(r.echo?.headers["x-auth-groups"]).toBe("staff,ops");
  });

  it("sends a tester with x-canary: always to the canary", async () => {
    const subject = stableSubject(`${plane}-tester`);
    const token = await client.token(stack.urls.auth, subject, ["testers"]);
    const r = await client.get(gateway(plane), "/orders", bearer(token, { "x-canary": "always" }));
    expect(r.status).toBe(200);
    expect(r.echo?.variant).toBe("canary");
    expect(r.echo?.headers["x-canary"]).toBe("true");
  });

  it("does not force a non-tester sending x-canary: always", async () => {
    const subject = stableSubject(`${plane}-user`);
    const token = await client.token(stack.urls.auth, subject, ["staff"]);
    const r = await client.get(gateway(plane), "/orders", bearer(token, { "x-canary": "always" }));
    expect(r.status).toBe(200);
    expect(r.echo?.variant).toBe("stable");
  });

  it("answers a burst beyond the limit with 429, Retry-After and RateLimit headers", async () => {
    const token = await client.token(stack.urls.auth, `${plane}-burst`);
    await client.get(gateway(plane), "/warm", bearer(token)); // the auth call happens once, before the burst
    const burst = limitCapacity() * 2;
    const replies = await Promise.all(Array.from({ length: burst }, () => client.get(gateway(plane), "/burst", bearer(token))));
    const allowed = replies.filter((r) => r.status === 200);
    const rejected = replies.filter((r) => r.status === 429);
    expect(allowed.length + rejected.length).toBe(burst);
    expect(rejected.length).toBeGreaterThan(0);
    // The warm-up used one cell of the bucket; refill during the burst may add a few.
    expect(allowed.length).toBeGreaterThanOrEqual(limitCapacity() - 1);
    for (const r of rejected) {
      expect(Number(r.headers["retry-after"])).toBeGreaterThanOrEqual(1);
      expect(r.headers["ratelimit-policy"]).toBeDefined();
      expect(r.echo).toBeNull();
    }
  });

  it("never lets a client-sent x-auth-subject reach the upstream", async () => {
    const subject = stableSubject(`${plane}-carol`);
    const token = await client.token(stack.urls.auth, subject);
    const spoofed = { "x-auth-subject": "mallory", "x-auth-groups": "admins,testers" };
    const withToken = await client.get(gateway(plane), "/orders", bearer(token, spoofed));
    expect(withToken.status).toBe(200);
    expect(withToken.echo?.headers["x-auth-subject"]).toBe(subject);
    expect(withToken.echo?.headers["x-auth-groups"]).toBeUndefined();
    const anonymous = await client.get(gateway(plane), "/healthz", spoofed);
    expect(anonymous.status).toBe(200);
    expect(anonymous.echo?.headers["x-auth-subject"]).toBeUndefined();
    expect(anonymous.echo?.headers["x-auth-groups"]).toBeUndefined();
  });

  it("calls the auth service once per distinct token (Envoy: at most once per worker VM)", async () => {
    const tokens = await Promise.all(Array.from({ length: 6 }, (_, i) => client.token(stack.urls.auth, `${plane}-cache-${i}`)));
    await client.json(`${stack.urls.auth}/stats/reset`, "POST");
    const requests = tokens.flatMap((token) => Array.from({ length: 5 }, () => token));
    const replies = await mapLimit(requests, 10, (token) => client.get(gateway(plane), "/cached", bearer(token)));
    expect(replies.every((r) => r.status === 200)).toBe(true);
    const calls = (await authStats())["introspect"]!;
    expect(calls).toBeGreaterThanOrEqual(tokens.length);
    expect(calls).toBeLessThanOrEqual(plane === "kong" ? tokens.length : tokens.length * stack.envoyWorkers);
  });

  it("logs one line per request with method, path, status, plane and variant", async () => {
    const subject = stableSubject(`${plane}-logged`);
    const token = await client.token(stack.urls.auth, subject);
    const path = `/logged-${plane}`;
    await client.get(gateway(plane), `${path}?secret=not-logged`, bearer(token));
    await client.get(gateway(plane), path);
    await expect.poll(() => accessLines.filter((l) => l.path === path).length, { timeout: 5_000 }).toBe(2);
    const lines = accessLines.filter((l) => l.path === path);
    expect(lines.map((l) => [l.method, l.status, l.plane, l.variant])).toEqual(
      expect.arrayContaining([["GET", 200, plane, "stable"], ["GET", 401, plane, "local"]]),
    );
  });
});

describe("the default policy's percentage split", () => {
  const SUBJECTS = Array.from({ length: 500 }, (_, i) => `split-user-${String(i).padStart(4, "0")}`);

  it("sends about the policy's share of subjects to the canary, the same ones on both planes, every time", async () => {
    const tokens = await mapLimit(SUBJECTS, 16, (sub) => client.token(stack.urls.auth, sub));
    const expected = SUBJECTS.map((sub) => (canaryBucket("", sub) < canaryPercentage() * 100 ? "canary" : "stable"));
    for (const plane of PLANES) {
      for (let round = 0; round < 2; round += 1) {
        // The first round makes one auth call per token: gently, so a busy machine stays inside the 200 ms auth timeout.
        const replies = await mapLimit(tokens, round === 0 ? 4 : 16, (token) => client.get(gateway(plane), "/split", bearer(token)));
        const variants = replies.map((r) => r.echo?.variant ?? `status ${r.status}`);
        const share = (100 * variants.filter((v) => v === "canary").length) / SUBJECTS.length;
        expect(Math.abs(share - canaryPercentage()), `${plane} round ${round}: ${share}% on canary`).toBeLessThanOrEqual(3);
        expect(variants, `${plane} round ${round}: each subject on its FNV-1a bucket's side`).toEqual(expected);
      }
    }
  }, 120_000);
});

describe("a process of the stack that dies", () => {
  it("stops every other process and reports its last output", async () => {
    const pids = stack.processes();
    const canary = pids.find((p) => p.name === "canary")!;
    const failed: Promise<ChildExit> = stack.failed;
    process.kill(canary.pid, "SIGKILL");
    const exit = await failed;
    expect(exit.name).toBe("canary");
    expect(exit.signal).toBe("SIGKILL");
    expect(exit.lastOutput.join("\n")).toContain("listening on");
    for (const p of pids) expect(isAlive(p.pid), `${p.name} (pid ${p.pid}) still running`).toBe(false);
  }, 30_000);
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
