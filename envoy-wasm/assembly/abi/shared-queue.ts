// Shared queues keyed by (vm_id, name). Registering again returns the same id and makes the caller the only
// consumer (last registrant wins); enqueue wakes that consumer with proxy_on_queue_ready.

import { WasmResult } from "./enums";
import {
  proxy_dequeue_shared_queue, proxy_enqueue_shared_queue, proxy_register_shared_queue, proxy_resolve_shared_queue,
} from "./imports";
import {
  beginStaging, clearResultSlots, discardResult, lastStagedSize, RESULT_PTR, RESULT_SIZE, stageString, takeResultBytes,
} from "./memory";

export class QueueResult {
  status: WasmResult;
  queueId: u32;
  constructor(status: WasmResult, queueId: u32) {
    this.status = status;
    this.queueId = queueId;
  }
}

export function registerSharedQueue(name: string): QueueResult {
  beginStaging();
  const namePtr = stageString(name);
  clearResultSlots();
  const status = proxy_register_shared_queue(namePtr, lastStagedSize(), RESULT_SIZE);
  return new QueueResult(status, status == WasmResult.Ok ? load<u32>(RESULT_SIZE) : 0);
}

/** `vmId` "" means this VM's own vm_id. */
export function resolveSharedQueue(vmId: string, name: string): QueueResult {
  beginStaging();
  const vmIdPtr = stageString(vmId);
  const vmIdSize = lastStagedSize();
  const namePtr = stageString(name);
  clearResultSlots();
  const status = proxy_resolve_shared_queue(vmIdPtr, vmIdSize, namePtr, lastStagedSize(), RESULT_SIZE);
  return new QueueResult(status, status == WasmResult.Ok ? load<u32>(RESULT_SIZE) : 0);
}

export function enqueueSharedQueue(queueId: u32, value: ArrayBuffer): WasmResult {
  return proxy_enqueue_shared_queue(queueId, changetype<usize>(value), <usize>value.byteLength);
}

export class QueueMessage {
  /** Ok, Empty when nothing is queued, NotFound for an unknown queue. */
  status: WasmResult;
  value: ArrayBuffer | null;
  constructor(status: WasmResult, value: ArrayBuffer | null) {
    this.status = status;
    this.value = value;
  }
}

export function dequeueSharedQueue(queueId: u32): QueueMessage {
  clearResultSlots();
  const status = proxy_dequeue_shared_queue(queueId, RESULT_PTR, RESULT_SIZE);
  if (status != WasmResult.Ok) {
    discardResult();
    return new QueueMessage(status, null);
  }
  return new QueueMessage(status, takeResultBytes());
}
