// Blocking HTTP for the k6 stand-in (k6's http.get/post/batch return the response, they take no callback): a
// worker thread does the fetches while the calling thread waits on a shared flag, then takes the answer from
// the message port synchronously.
import { MessageChannel, receiveMessageOnPort, Worker } from "node:worker_threads";

export interface SyncRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string | null;
}

export interface SyncResponse {
  status: number;
  /** Lower-case names, as the server sent them (joined with ", " when repeated). */
  headers: Record<string, string>;
  body: string;
  durationMs: number;
  /** Set when no HTTP answer arrived (connection refused, timeout); status is 0 then. */
  error: string | null;
}

const WORKER_SOURCE = `
const { workerData } = require("node:worker_threads");
const flag = new Int32Array(workerData.flag);
const port = workerData.port;
async function one(r, timeoutMs) {
  const started = performance.now();
  try {
    const res = await fetch(r.url, { method: r.method, headers: r.headers, body: r.body, redirect: "manual", signal: AbortSignal.timeout(timeoutMs) });
    const body = await res.text();
    return { status: res.status, headers: Object.fromEntries(res.headers), body, durationMs: performance.now() - started, error: null };
  } catch (err) {
    return { status: 0, headers: {}, body: "", durationMs: performance.now() - started, error: String(err && err.cause ? err.cause : err) };
  }
}
port.on("message", async ({ requests, timeoutMs }) => {
  const answers = await Promise.all(requests.map((r) => one(r, timeoutMs)));
  port.postMessage(answers);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
});
`;

export class SyncHttp {
  private readonly flag = new Int32Array(new SharedArrayBuffer(4));
  private readonly channel = new MessageChannel();
  private readonly worker: Worker;

  /** `timeoutMs` bounds each request, like k6's `timeout` param (default 60 s there too). */
  constructor(private readonly timeoutMs = 60_000) {
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { flag: this.flag.buffer, port: this.channel.port2 },
      transferList: [this.channel.port2],
    });
    this.worker.unref();
  }

  /** The requests in parallel (k6's http.batch); one answer per request, in order. */
  batch(requests: SyncRequest[]): SyncResponse[] {
    Atomics.store(this.flag, 0, 0);
    this.channel.port1.postMessage({ requests, timeoutMs: this.timeoutMs });
    // The worker answers within the request timeout; the extra margin only guards against a dead worker.
    if (Atomics.wait(this.flag, 0, 0, this.timeoutMs + 30_000) === "timed-out") throw new Error("sync-http: the fetch worker did not answer");
    const received = receiveMessageOnPort(this.channel.port1);
    if (!received) throw new Error("sync-http: the fetch worker signalled but sent no answer");
    return received.message as SyncResponse[];
  }

  request(request: SyncRequest): SyncResponse {
    return this.batch([request])[0]!;
  }

  async close(): Promise<void> {
    this.channel.port1.close();
    await this.worker.terminate();
  }
}
