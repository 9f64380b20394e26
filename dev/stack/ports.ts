// The stack's ports: fixed defaults for `npm start`, each overridable by an environment variable; 0 = any free port.
import { createServer } from "node:net";

export interface StackPorts {
  auth: number;
  stable: number;
  canary: number;
  kong: number;
  envoy: number;
  /** The Kong plane's metrics: the plugin server's /metrics (MESHGATE_METRICS_PORT). */
  kongMetrics: number;
  /** The Envoy plane's admin-style listener: /stats/prometheus. */
  envoyAdmin: number;
}

// 9542: meshgate's metrics port in kong-plugins/README.md; 15000: Envoy's admin port in an Istio sidecar.
export const DEFAULT_PORTS: StackPorts = { auth: 9000, stable: 9101, canary: 9102, kong: 8000, envoy: 10000, kongMetrics: 9542, envoyAdmin: 15000 };

/** Every process on a free port of the kernel's choosing (tests, benchmarks). */
export const RANDOM_PORTS: StackPorts = { auth: 0, stable: 0, canary: 0, kong: 0, envoy: 0, kongMetrics: 0, envoyAdmin: 0 };

export const PORT_VARIABLES: Record<keyof StackPorts, string> = {
  auth: "AUTH_PORT",
  stable: "STABLE_PORT",
  canary: "CANARY_PORT",
  kong: "KONG_PORT",
  envoy: "ENVOY_PORT",
  kongMetrics: "KONG_METRICS_PORT",
  envoyAdmin: "ENVOY_ADMIN_PORT",
};

export class StackConfigError extends Error {
  override readonly name = "StackConfigError";
}

/** Ports from the PORT_VARIABLES (`AUTH_PORT` … `ENVOY_ADMIN_PORT`); throws naming a bad variable. */
export function portsFromEnv(env: NodeJS.ProcessEnv, defaults: StackPorts = DEFAULT_PORTS): StackPorts {
  const ports = { ...defaults };
  for (const key of Object.keys(PORT_VARIABLES) as Array<keyof StackPorts>) {
    const variable = PORT_VARIABLES[key];
    const text = env[variable];
    if (text === undefined || text === "") continue;
    if (!/^\d{1,5}$/.test(text) || Number(text) > 65535) {
      throw new StackConfigError(`${variable} must be a port number 0..65535 (0 = any free port), got '${text}'`);
    }
    ports[key] = Number(text);
  }
  const fixed = (Object.keys(ports) as Array<keyof StackPorts>).filter((k) => ports[k] !== 0);
  for (const [i, a] of fixed.entries()) {
    for (const b of fixed.slice(i + 1)) {
      if (ports[a] === ports[b]) throw new StackConfigError(`${PORT_VARIABLES[a]} and ${PORT_VARIABLES[b]} are both ${ports[a]}`);
    }
  }
  return ports;
}

/** What to say when a fixed port is taken: the port, the variable that moves it, and how. */
export function portInUseMessage(key: keyof StackPorts, port: number): string {
  const variable = PORT_VARIABLES[key];
  return `port ${port} on 127.0.0.1 is already in use (${variable}): stop what listens there, or start with ${variable}=<free port> (${variable}=0 picks any free port)`;
}

function portFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", (err: NodeJS.ErrnoException) => (err.code === "EADDRINUSE" ? resolve(false) : reject(err)));
    probe.listen(port, host, () => probe.close(() => resolve(true)));
  });
}

/** A port no one listens on now (for a process that cannot be told "0" and report back: the Kong plugin server's
 *  metrics endpoint takes 1..65535 only). Another program may take it before the child binds it. */
export function freePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, host, () => {
      const address = probe.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/** Throws a StackConfigError naming the variable of the first fixed port something else already listens on. */
export async function assertPortsFree(ports: StackPorts, host = "127.0.0.1"): Promise<void> {
  for (const key of Object.keys(PORT_VARIABLES) as Array<keyof StackPorts>) {
    if (ports[key] !== 0 && !(await portFree(ports[key], host))) throw new StackConfigError(portInUseMessage(key, ports[key]));
  }
}
