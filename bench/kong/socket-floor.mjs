#!/usr/bin/env node
// The floor under any plugin server on this machine: plugin-server CPU per round trip of a Node process that
// answers each MessagePack-RPC frame on a unix socket with a fixed 5-byte reply and does nothing else (no
// decoding, no plugin), driven by another process with C connections each keeping one request in flight (as
// Kong's workers do). Every PDK call costs at least this; `npm run bench:kong`'s rows are to be read against it.
//   node bench/kong/socket-floor.mjs [round-trips] [concurrency...]   (default 20000, 1 4 16)
import { fork } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, unlinkSync } from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

if (process.argv[2] === "--serve") {
  const path = process.argv[3];
  const reply = Buffer.from([0x94, 0x01, 0x01, 0xc0, 0xc0]);
  try { unlinkSync(path); } catch { /* none yet */ }
  createServer((socket) => socket.on("data", () => socket.write(Buffer.from(reply)))).listen(path, () => process.send?.("ready"));
} else {
  const roundTrips = Number(process.argv[2] ?? 20000);
  const levels = process.argv.length > 3 ? process.argv.slice(3).map(Number) : [1, 4, 16];
  const dir = mkdtempSync(join(tmpdir(), "mg-floor-"));
  const path = join(dir, "floor.sock");
  const server = fork(fileURLToPath(import.meta.url), ["--serve", path]);
  await new Promise((resolve) => server.once("message", resolve));
  const cpuMicros = () => {
    const stat = readFileSync(`/proc/${server.pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / 100; // USER_HZ
  };
  const frame = Buffer.from([0x94, 0x00, 0x01, 0xab, ...Buffer.from("plugin.Step"), 0x90]);
  for (const concurrency of levels) {
    const sockets = await Promise.all(Array.from({ length: concurrency }, () => new Promise((resolve) => { const s = connect(path, () => resolve(s)); })));
    const run = (count) => Promise.all(sockets.map((socket) => new Promise((resolve) => {
      let left = Math.ceil(count / concurrency);
      const next = () => {
        if (left-- === 0) { socket.off("data", next); resolve(); return; }
        socket.write(frame);
      };
      socket.on("data", next);
      next();
    })));
    await run(Math.min(5000, roundTrips));
    const before = cpuMicros();
    const started = performance.now();
    await run(roundTrips);
    const seconds = (performance.now() - started) / 1000;
    console.log(`concurrency ${String(concurrency).padStart(2)}: ${((cpuMicros() - before) / roundTrips).toFixed(1)} µs server CPU per round trip, ${(roundTrips / seconds).toFixed(0)} round trips/s`);
    for (const socket of sockets) socket.destroy();
  }
  server.kill();
  rmSync(dir, { recursive: true, force: true });
}
