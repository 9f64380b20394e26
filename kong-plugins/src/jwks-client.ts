// The Kong plane's key sets for `auth.mode: jwt`: one JwksSource per key-set URL (and refresh settings) for the
// whole plugin server, i.e. for every Kong worker of the node. The core's JwksRefresh decides when to fetch
// (DECISIONS.md §11.6); this module does the I/O: undici GET with a deadline and a size cap, one fetch in flight
// per source (requests that need it wait for it), background refreshes when due.
import { request } from "undici";
import { KeySet, MAX_JWKS_BYTES } from "../../shared/src/jwks";
import { JwksRefresh, KeysPlan } from "../../shared/src/jwks-refresh";
import type { JwtSettings } from "../../shared/src/policy";
import { nowMs } from "./clock";
import { failureOf, readBounded } from "./http-read";

export type JwksFetchResult = { ok: true; body: string } | { ok: false; failure: string };

/** How a fetch ended, for metrics and the operational log: `ok`, `refused` (a body that is no usable key set),
 *  `failed` (status, timeout, connect, too large). `detail` never holds a token. */
export type JwksFetchOutcome = { url: string; result: "ok" | "refused" | "failed"; detail: string };

/** How long past its own deadline a fetch may take before it counts as timed out whatever undici does. */
const STUCK_GRACE_MS = 250;

export async function fetchJwks(url: string, timeoutMs: number): Promise<JwksFetchResult> {
  let guard: NodeJS.Timeout | undefined;
  const stuck = new Promise<JwksFetchResult>((resolve) => {
    guard = setTimeout(() => resolve({ ok: false, failure: "timeout" }), timeoutMs + STUCK_GRACE_MS);
  });
  try {
    return await Promise.race([send(url, timeoutMs), stuck]);
  } finally {
    clearTimeout(guard);
  }
}

async function send(url: string, timeoutMs: number): Promise<JwksFetchResult> {
  const deadline = AbortSignal.timeout(timeoutMs);
  try {
    const response = await request(url, {
      method: "GET",
      headers: { accept: "application/json" },
      signal: deadline,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    if (response.statusCode !== 200) {
      // Read and dropped (bounded): a body destroyed with no reader raises an error nobody handles.
      await response.body.dump({ limit: MAX_JWKS_BYTES }).catch(() => undefined);
      return { ok: false, failure: `status_${response.statusCode}` };
    }
    const body = await readBounded(response.body, MAX_JWKS_BYTES);
    if (body === null) return { ok: false, failure: "too_large" };
    // A byte string (one character per byte): the core reads it as UTF-8 by its one rule (DECISIONS.md §3.3).
    return { ok: true, body: body.toString("latin1") };
  } catch (error) {
    return { ok: false, failure: failureOf(error, deadline) };
  }
}

export class JwksSource {
  readonly refresh: JwksRefresh;
  private inflight: Promise<void> | null = null;

  constructor(readonly url: string, readonly timeoutMs: number, settings: JwtSettings, private readonly report: (outcome: JwksFetchOutcome) => void) {
    this.refresh = new JwksRefresh(settings);
  }

  /** The key set for a request at Step.Keys (`refetch`: the engine asks again after an unknown kid): fetches
   *  first when the plan says so, waits for a fetch in flight, or answers at once (starting a due refresh in the
   *  background). Null = no usable set (the engine applies the failure mode). */
  async keysFor(refetch: boolean): Promise<KeySet | null> {
    const now = nowMs();
    const plan = this.refresh.plan(now, refetch);
    if (plan === KeysPlan.Fetch) await this.startFetch(now);
    else if (plan === KeysPlan.Wait) await this.inflight;
    else if (this.refresh.due(now)) void this.startFetch(now);
    return this.refresh.usable(nowMs());
  }

  private startFetch(now: number): Promise<void> {
    this.refresh.begin(now);
    const pending = fetchJwks(this.url, this.timeoutMs).then((result) => {
      const at = nowMs();
      if (result.ok) {
        const refused = this.refresh.onFetched(result.body, at);
        this.report({ url: this.url, result: refused.length > 0 ? "refused" : "ok", detail: refused });
      } else {
        this.refresh.onFetchFailed(result.failure, at);
        this.report({ url: this.url, result: "failed", detail: result.failure });
      }
    }, () => {
      this.refresh.onFetchFailed("exception", nowMs());
      this.report({ url: this.url, result: "failed", detail: "exception" });
    }).finally(() => {
      this.inflight = null;
    });
    this.inflight = pending;
    return pending;
  }
}

const sources = new Map<string, JwksSource>();
/** Beyond this many distinct sources the oldest is forgotten (runtimes holding it keep using it). */
const MAX_SOURCES = 64;

/** The plugin server's source for these settings: policies naming the same URL and refresh rules share one. */
export function jwksSourceFor(settings: JwtSettings, report: (outcome: JwksFetchOutcome) => void): JwksSource {
  const key = [settings.jwks.url, settings.jwksTimeoutMs, settings.refreshSeconds, settings.minRefetchSeconds, settings.staleSeconds].join("\n");
  let source = sources.get(key);
  if (!source) {
    source = new JwksSource(settings.jwks.url, settings.jwksTimeoutMs, settings, report);
    if (sources.size >= MAX_SOURCES) sources.delete(sources.keys().next().value as string);
    sources.set(key, source);
  }
  return source;
}
