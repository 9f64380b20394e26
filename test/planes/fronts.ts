// A plane behind its dev host's HTTP front, for tests that must send raw bytes on the wire.
import { startPlane, type Backends, type Plane, type PlaneName, type PlaneOptions } from "./support.js";

export interface Front {
  plane: Plane;
  port: number;
  close(): Promise<void>;
}

export async function startFront(name: PlaneName, backends: Backends, policy: Record<string, unknown>, options: PlaneOptions = {}): Promise<Front> {
  const plane = await startPlane(name, backends, policy, options);
  const listener = plane.kong ? await plane.kong.listen(0) : await plane.envoy!.listen(0);
  return {
    plane,
    port: listener.port,
    close: async () => {
      await listener.close();
      await plane.close();
    },
  };
}
