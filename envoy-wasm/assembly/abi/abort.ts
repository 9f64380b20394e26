// Replacement for AssemblyScript's `abort` (wired with `--use abort=…`), because Envoy registers no `env.abort`.
// Logs at critical through proxy_log, then traps: the host marks the VM failed and applies the fail strategy.

import { LogLevel } from "./enums";
import { proxy_log } from "./imports";

let aborting = false;

export function abortToHostLog(message: string | null, fileName: string | null, line: u32, column: u32): void {
  // Building the message allocates; if that aborts again (out of memory), trap without a message.
  if (aborting) unreachable();
  aborting = true;
  let text = "wasm abort: " + (message == null ? "(no message)" : message);
  if (fileName != null) text += " at " + fileName + ":" + line.toString() + ":" + column.toString();
  const bytes = String.UTF8.encode(text);
  proxy_log(<u32>LogLevel.Critical, changetype<usize>(bytes), <usize>bytes.byteLength);
  unreachable();
}
