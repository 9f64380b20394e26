import type { Server } from "node:http";
import type { AddressInfo } from "node:net";

export function urlFor(host: string, port: number): string {
  return `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
}

/** A server that can stop accepting (refused connections) and start again on the same port. */
export class RestartableListener {
  private bound: { host: string; port: number } | null = null;
  private listening = false;

  constructor(private readonly server: Server) {}

  get port(): number {
    if (this.bound === null) throw new Error("not listening: call listen() first");
    return this.bound.port;
  }

  get url(): string {
    if (this.bound === null) throw new Error("not listening: call listen() first");
    return urlFor(this.bound.host, this.bound.port);
  }

  async listen(port: number, host: string): Promise<void> {
    if (this.listening) throw new Error(`already listening on ${this.url}`);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`port must be an integer from 0 to 65535, got ${port}`);
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error): void => reject(error);
      this.server.once("error", onError);
      this.server.listen(port, host, () => {
        this.server.off("error", onError);
        resolve();
      });
    });
    this.listening = true;
    this.bound = { host, port: (this.server.address() as AddressInfo).port };
  }

  async stop(): Promise<void> {
    if (!this.listening) return;
    this.listening = false;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  async start(): Promise<void> {
    if (this.bound === null) throw new Error("startListening() needs an earlier listen()");
    if (this.listening) return;
    await this.listen(this.bound.port, this.bound.host);
  }
}
