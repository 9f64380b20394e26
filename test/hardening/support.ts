// Helpers of the hardening tests: a plane started with extra plugin-server environment (the Kong circuit
// breaker's settings) and the token scan of captured logs.
import { EnvoyHost } from "../../dev/hosts/envoy/host.js";
import { MESHGATE_WASM, startPlane, type Backends, type Plane, type PlaneName } from "../planes/support.js";

export type Doc = Record<string, unknown>;

export interface PlaneStartOptions {
  /** Kong plane: environment of the plugin server process (e.g. MESHGATE_BREAKER_*). */
  serverEnv?: NodeJS.ProcessEnv;
  /** Envoy plane: worker VMs. */
  workers?: number;
}

/** The Kong circuit breaker switched off, for tests that look at each failing call on its own. */
export const BREAKER_OFF: NodeJS.ProcessEnv = { MESHGATE_BREAKER_FAILURES: "0", MESHGATE_BREAKER_FAILURE_RATIO: "0" };

/** startPlane with the Kong plugin server's environment (breaker settings); Envoy ignores it. */
export function startPlaneWith(name: PlaneName, backends: Backends, policy: Doc, options: PlaneStartOptions = {}): Promise<Plane> {
  return startPlane(name, backends, policy, options);
}

/** Every captured log line of a plane's host (Kong: plugin, server and Kong lines; Envoy: wasm and host lines). */
export function capturedLogs(plane: Plane): string[] {
  if (plane.kong) return plane.kong.logs().map((l) => l.message);
  if (plane.envoy) return plane.envoy.logs().map((l) => l.message);
  return [];
}

/** Pieces of a token a leak would show: its head, its tail, and its middle (16 characters each). */
export function tokenPieces(token: string): string[] {
  if (token.length < 16) return [token];
  const middle = Math.floor(token.length / 2) - 8;
  return [token.slice(0, 16), token.slice(middle, middle + 16), token.slice(-16)];
}

export function envoyHost(plane: Plane): EnvoyHost {
  if (!plane.envoy) throw new Error("not an Envoy plane");
  return plane.envoy;
}

export { MESHGATE_WASM };
