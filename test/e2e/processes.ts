// Finding the processes a test started, however deep (the Kong host's plugin server is a grandchild, and an
// orphan is re-parented): every one inherits the environment, so a variable with a value unique to the test
// marks them all. Linux /proc only.
import { readdirSync, readFileSync } from "node:fs";

export interface MarkedProcess {
  pid: number;
  cmdline: string[];
}

function readProc(pid: string, file: string): string | null {
  try {
    return readFileSync(`/proc/${pid}/${file}`, "utf8");
  } catch {
    return null; // gone meanwhile, or not ours to read
  }
}

/** Live (not zombie) processes whose environment has `name=value`. */
export function processesMarked(name: string, value: string): MarkedProcess[] {
  const wanted = `${name}=${value}`;
  const found: MarkedProcess[] = [];
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    const environ = readProc(pid, "environ");
    if (environ === null || !environ.split("\0").includes(wanted)) continue;
    const stat = readProc(pid, "stat");
    // The state follows the parenthesised command name; a zombie has exited and holds nothing.
    if (stat === null || stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) === "Z") continue;
    found.push({ pid: Number(pid), cmdline: (readProc(pid, "cmdline") ?? "").split("\0").filter((a) => a !== "") });
  }
  return found;
}

/** Resolves once `condition()` holds; rejects with `describe()` after `timeoutMs`. Checks every 50 ms. */
export async function waitUntil(condition: () => boolean | Promise<boolean>, timeoutMs: number, describe: () => string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (performance.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${describe()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
