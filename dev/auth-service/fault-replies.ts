import type { AuthFaults } from "./types.js";
import { type Reply, jsonReply } from "./http-io.js";

export const HUGE_BODY_BYTES = 10 * 1024 * 1024;
// Starts like a success so that a parser reading only a prefix would be fooled; then invalid bytes.
const GARBAGE_BODY = Buffer.concat([Buffer.from('{"active":true,"sub":"garb'), Buffer.from([0xff, 0xfe, 0x00]), Buffer.from("<html>not json")]);
const MID_BODY_FILLER = Buffer.from(JSON.stringify({ note: "closeMidBody: the connection is dropped before this body ends" }));

let hugeBody: Buffer | null = null;

/** Valid JSON claiming an active token, 10 MiB long: only a client without a body-size cap would accept it. */
function hugeActiveBody(): Buffer {
  if (hugeBody === null) {
    const head = '{"active":true,"sub":"huge-body","padding":"';
    const tail = '"}';
    hugeBody = Buffer.alloc(HUGE_BODY_BYTES, "a");
    hugeBody.write(head, 0, "latin1");
    hugeBody.write(tail, HUGE_BODY_BYTES - tail.length, "latin1");
  }
  return hugeBody;
}

export interface FaultedReply {
  reply: Reply;
  closeMidBody: boolean;
}

const BODY_FAULTS = ["garbage", "hugeBody", "closeMidBody", "wrongContentType"] as const;

/**
 * Turns the reply a selected call would have got into the faulty one. The faults compose:
 * status replaces the reply with an error; garbage / hugeBody replace the body (keeping the status and
 * headers, so a /verify denial stays a denial); wrongContentType swaps the media type; closeMidBody
 * changes how it is delivered. errorRate with none of these gives 500.
 */
export function applyFaults(normal: Reply, faults: AuthFaults): FaultedReply {
  let reply: Reply = { ...normal, headers: { ...normal.headers } };
  const anyBodyFault = BODY_FAULTS.some((name) => faults[name] === true);
  const status = faults.status ?? (anyBodyFault ? undefined : 500);
  if (status !== undefined) {
    reply = jsonReply(status, { error: "fault_injected", status }, { "cache-control": "no-store" });
  }
  if (faults.garbage === true) reply = withBody(reply, GARBAGE_BODY);
  if (faults.hugeBody === true) reply = withBody(reply, hugeActiveBody());
  if (faults.wrongContentType === true) reply.headers["content-type"] = "text/html; charset=utf-8";
  if (faults.closeMidBody === true && reply.body.length < 2) reply = withBody(reply, MID_BODY_FILLER);
  return { reply, closeMidBody: faults.closeMidBody === true };
}

function withBody(reply: Reply, body: Buffer): Reply {
  return { status: reply.status, headers: { ...reply.headers, "content-type": reply.headers["content-type"] ?? "application/json" }, body };
}
