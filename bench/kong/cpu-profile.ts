// The top entries of a V8 .cpuprofile (node --cpu-prof) by self time, for the Kong benchmark's --profile: only
// the samples taken in a given stretch of the monotonic clock (V8 and process.hrtime both read CLOCK_MONOTONIC on
// Linux), so the server's start-up is left out, and as shares of the busy samples (idle left out).
import { readFileSync } from "node:fs";
import { basename } from "node:path";

interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number } }>;
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileEntry {
  name: string;
  selfPercent: number;
}

export function topSelfTime(profilePath: string, count: number, windowUs: [number, number]): ProfileEntry[] {
  const profile = JSON.parse(readFileSync(profilePath, "utf8")) as CpuProfile;
  const names = new Map<number, string>();
  for (const node of profile.nodes) {
    const { functionName, url, lineNumber } = node.callFrame;
    names.set(node.id, `${functionName || "(anonymous)"}${url ? ` ${basename(url)}:${lineNumber + 1}` : ""}`);
  }
  const hits = new Map<string, number>();
  let busy = 0;
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0;
    if (t < windowUs[0] || t > windowUs[1]) continue;
    const name = names.get(profile.samples[i]!) ?? "?";
    if (name === "(idle)") continue;
    busy += 1;
    hits.set(name, (hits.get(name) ?? 0) + 1);
  }
  return [...hits.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, n]) => ({ name, selfPercent: busy > 0 ? (100 * n) / busy : 0 }));
}
