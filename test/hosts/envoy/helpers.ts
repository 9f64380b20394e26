// Shared helpers for the Envoy dev host tests: loopback upstreams and log queries.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { EnvoyHost, LogEntry } from "../../../dev/hosts/envoy/host.js";

export interface Upstream {
  url: string;
  port: number;
  /** Requests seen so far. */
  seen: Array<{ method: string; url: string; headers: Record<string, string | string[] | undefined>; body: string }>;
  /** Requests whose connection was closed before they were answered. */
  aborted: string[];
  /** Resolves with the URL of the next request aborted before it was answered. */
  nextAbort(): Promise<string>;
  /** Resolves once a request for `url` has been received (now or later). */
  received(url: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * An upstream that answers `{ upstream, method, url, headers, body }` as JSON.
 * Paths: `/slow?ms=N` answers after N ms; `/reset-mid-body` sends headers and part of a body then
 * destroys the socket; `/drop` destroys the socket before answering; `/status/N` answers status N.
 */
export async function startUpstream(name: string): Promise<Upstream> {
  const seen: Upstream["seen"] = [];
  const aborted: string[] = [];
  const abortWaiters: Array<(url: string) => void> = [];
  const seenWaiters: Array<{ url: string; resolve: () => void }> = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const url = req.url ?? "/";
      seen.push({ method: req.method ?? "", url, headers: req.headers, body });
      for (const w of seenWaiters.filter((x) => x.url === url)) {
        seenWaiters.splice(seenWaiters.indexOf(w), 1);
        w.resolve();
      }
      const answer = (status = 200): void => {
        const payload = JSON.stringify({ upstream: name, method: req.method, url, headers: req.headers, body });
        res.writeHead(status, { "content-type": "application/json", "x-upstream": name });
        res.end(payload);
      };
      if (url.startsWith("/slow")) {
        const ms = Number(new URL(url, "http://x").searchParams.get("ms") ?? "1000");
        const timer = setTimeout(() => answer(), ms);
        res.on("close", () => {
          clearTimeout(timer);
          if (res.writableFinished) return;
          aborted.push(url);
          for (const w of abortWaiters.splice(0)) w(url);
        });
      } else if (url === "/reset-mid-body") {
        res.writeHead(200, { "content-type": "text/plain", "content-length": "100" });
        res.write("partial", () => req.socket.destroy());
      } else if (url === "/drop") {
        req.socket.destroy();
      } else if (url.startsWith("/status/")) {
        answer(Number(url.slice("/status/".length)));
      } else {
        answer();
      }
    });
  });
  server.on("connection", (s: Socket) => { sockets.add(s); s.on("close", () => sockets.delete(s)); });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    seen,
    aborted,
    nextAbort: () => new Promise<string>((resolve) => abortWaiters.push(resolve)),
    received: (url: string) => new Promise<void>((resolve) => {
      if (seen.some((s) => s.url === url)) resolve();
      else seenWaiters.push({ url, resolve });
    }),
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}

/** A loopback URL on which nothing listens (connection refused). */
export async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

/** Wasm log lines (plugin-written) of one worker, in order. */
export function wasmLines(host: EnvoyHost, worker: number): string[] {
  return host.logs().filter((e: LogEntry) => e.worker === worker && e.source === "wasm").map((e) => e.message);
}

/** All wasm log lines of every VM, in order, as "worker: message". */
export function allLines(host: EnvoyHost): string[] {
  return host.logs().filter((e) => e.source === "wasm").map((e) => `${e.worker}: ${e.message}`);
}

/** Lines of a worker starting at the first line that matches `start`. */
export function linesFrom(host: EnvoyHost, worker: number, start: string): string[] {
  const lines = wasmLines(host, worker);
  const i = lines.findIndex((l) => l.startsWith(start));
  return i < 0 ? [] : lines.slice(i);
}

export function waitForWasm(host: EnvoyHost, worker: number, prefix: string, timeoutMs = 3000): Promise<LogEntry> {
  return host.waitForLog((e) => e.worker === worker && e.source === "wasm" && e.message.startsWith(prefix), timeoutMs);
}
