// Process-global shared data and shared queues, as cpp-host keeps them (src/shared_data.cc,
// src/shared_queue.cc, src/vm_id_handle.cc): one namespace per vm_id shared by every VM with that
// vm_id, one CAS counter across all keys and vm_ids (starts at 1, skips 0), and namespaces that
// live until the last VM holding the vm_id goes away.

import { WasmResult } from "./abi.js";

export interface SharedValue {
  value: Uint8Array;
  cas: number;
}

export class SharedDataStore {
  private readonly data = new Map<string, Map<string, SharedValue>>();
  private cas: number;

  constructor(firstCas = 1) { this.cas = firstCas >>> 0 || 1; }

  private nextCas(): number {
    const result = this.cas;
    this.cas = (this.cas + 1) >>> 0;
    if (this.cas === 0) this.cas = 1;
    return result;
  }

  get(vmId: string, key: string): SharedValue | undefined {
    return this.data.get(vmId)?.get(key);
  }

  set(vmId: string, key: string, value: Uint8Array, cas: number): number {
    let map = this.data.get(vmId);
    if (!map) { map = new Map(); this.data.set(vmId, map); }
    const existing = map.get(key);
    if (existing && cas !== 0 && cas !== existing.cas) return WasmResult.CasMismatch;
    map.set(key, { value: Uint8Array.from(value), cas: this.nextCas() });
    return WasmResult.Ok;
  }

  keyCount(vmId: string): number { return this.data.get(vmId)?.size ?? 0; }

  deleteVmId(vmId: string): void { this.data.delete(vmId); }
}

/** Whoever should receive proxy_on_queue_ready: a worker VM's root context. */
export interface QueueConsumer {
  readonly alive: boolean;
  postQueueReady(rootContextId: number, token: number): void;
}

interface Queue {
  items: Uint8Array[];
  consumer: QueueConsumer;
  rootContextId: number;
}

export class SharedQueueRegistry {
  private readonly tokens = new Map<string, number>(); // `${vmId}\0${name}` → token
  private readonly queues = new Map<number, Queue>();
  private nextToken = 1;

  private static key(vmId: string, name: string): string { return `${vmId}\u0000${name}`; }

  /** The latest registrant becomes the consumer; queued data is kept. */
  register(vmId: string, name: string, consumer: QueueConsumer, rootContextId: number): number {
    const key = SharedQueueRegistry.key(vmId, name);
    let token = this.tokens.get(key);
    if (token === undefined) {
      token = this.nextToken;
      this.nextToken = (this.nextToken + 1) >>> 0 || 1;
      this.tokens.set(key, token);
    }
    const existing = this.queues.get(token);
    this.queues.set(token, { items: existing?.items ?? [], consumer, rootContextId });
    return token;
  }

  resolve(vmId: string, name: string): number | undefined {
    return this.tokens.get(SharedQueueRegistry.key(vmId, name));
  }

  enqueue(token: number, value: Uint8Array): number {
    const q = this.queues.get(token);
    if (!q) return WasmResult.NotFound;
    q.items.push(Uint8Array.from(value));
    if (q.consumer.alive) q.consumer.postQueueReady(q.rootContextId, token);
    return WasmResult.Ok;
  }

  dequeue(token: number): { result: number; value?: Uint8Array } {
    const q = this.queues.get(token);
    if (!q) return { result: WasmResult.NotFound };
    const value = q.items.shift();
    return value ? { result: WasmResult.Ok, value } : { result: WasmResult.Empty };
  }

  deleteVmId(vmId: string): void {
    for (const [key, token] of this.tokens) {
      if (key.startsWith(`${vmId}\u0000`)) {
        this.tokens.delete(key);
        this.queues.delete(token);
      }
    }
  }
}

export const globalSharedData = new SharedDataStore();
export const globalSharedQueues = new SharedQueueRegistry();

const vmIdRefs = new Map<string, number>();

/** Reference-counts a vm_id; when the last holder releases it, its data and queues are deleted. */
export function acquireVmId(vmId: string): () => void {
  vmIdRefs.set(vmId, (vmIdRefs.get(vmId) ?? 0) + 1);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    const n = (vmIdRefs.get(vmId) ?? 1) - 1;
    if (n > 0) { vmIdRefs.set(vmId, n); return; }
    vmIdRefs.delete(vmId);
    globalSharedData.deleteVmId(vmId);
    globalSharedQueues.deleteVmId(vmId);
  };
}
