// The plugin's operational-line queue (kong-plugins/src/plugin-logs.ts): written through kong.log in order and
// at its level, bounded while no request comes, nothing to do (no round trip) when empty.
import { describe, expect, it } from "vitest";
import { OperationalLog, flushOperationalLog, operationalLog } from "../../kong-plugins/src/plugin-logs";
import type { KongPdk } from "../../kong-plugins/src/pdk";

function recordingKong(): { kong: KongPdk; calls: string[] } {
  const calls: string[] = [];
  const at = (level: string) => (...message: unknown[]): Promise<void> => {
    calls.push(`${level} ${message.join("")}`);
    return Promise.resolve();
  };
  const log = { err: at("err"), warn: at("warn"), notice: at("notice") };
  return { kong: { log } as unknown as KongPdk, calls };
}

describe("OperationalLog", () => {
  it("flushes queued lines in order, each at its level, then is empty", async () => {
    const queue = new OperationalLog();
    queue.add("warn", "w1");
    queue.add("notice", "n1");
    queue.add("err", "e1");
    const { kong, calls } = recordingKong();
    await queue.flush(kong);
    expect(calls).toEqual(["warn w1", "notice n1", "err e1"]);
    expect(queue.hasPending).toBe(false);
    await queue.flush(kong);
    expect(calls).toHaveLength(3);
  });

  it("keeps the newest 64 lines while no request drains it, and says how many older ones it dropped", async () => {
    const queue = new OperationalLog();
    for (let i = 0; i < 70; i++) queue.add("warn", `line ${i}`);
    const { kong, calls } = recordingKong();
    await queue.flush(kong);
    expect(calls[0]).toBe("warn meshgate: 6 older operational log lines were dropped");
    expect(calls.slice(1)).toHaveLength(64);
    expect(calls[1]).toBe("warn line 6");
    expect(calls.at(-1)).toBe("warn line 69");
  });

  it("flushOperationalLog makes no call at all when nothing is queued", () => {
    expect(operationalLog.hasPending).toBe(false);
    const { kong, calls } = recordingKong();
    expect(flushOperationalLog(kong)).toBeUndefined();
    expect(calls).toEqual([]);
  });
});
