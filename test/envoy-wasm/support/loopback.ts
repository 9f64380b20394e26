// Loopback HTTP servers for the end-to-end tests: an upstream that echoes request headers as JSON, and an
// "auth" cluster whose answers the test releases explicitly, so it controls the order answers arrive in.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

export interface Loopback {
  origin: string;
  close(): Promise<void>;
}

async function listen(server: Server): Promise<Loopback> {
  const sockets = new Set<Socket>();
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    }),
  };
}

export function startEchoUpstream(): Promise<Loopback> {
  return listen(createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    req.on("end", () => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ path: req.url, headers: req.headers }));
    });
  }));
}

export interface HeldRequest { path: string; authority: string | undefined; answer(status: number): void }

export interface HoldingServer extends Loopback {
  /** Resolves once `count` requests are being held. */
  waitForHeld(count: number): Promise<HeldRequest[]>;
}

/** Holds every request until the test answers it. */
export async function startHoldingServer(): Promise<HoldingServer> {
  const held: HeldRequest[] = [];
  const waiters: Array<{ count: number; resolve: (requests: HeldRequest[]) => void }> = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    held.push({
      path: req.url ?? "",
      authority: req.headers.host,
      answer: (status) => {
        res.writeHead(status, { "content-type": "text/plain" });
        res.end("held answer");
      },
    });
    for (const waiter of [...waiters]) {
      if (held.length >= waiter.count) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(held.slice());
      }
    }
  });
  const base = await listen(server);
  return {
    ...base,
    waitForHeld: (count) => held.length >= count
      ? Promise.resolve(held.slice())
      : new Promise((resolve) => waiters.push({ count, resolve })),
  };
}
