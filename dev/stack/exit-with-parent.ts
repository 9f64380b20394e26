// Preloaded (`node --import`) into every process of the local stack, and through NODE_OPTIONS into the processes
// they start (the Kong host's plugin server): when the process that started this one is gone — even killed with
// SIGKILL, which gives it no chance to stop its children — this one stops too. Linux has PR_SET_PDEATHSIG for
// that, Node does not expose it; an orphan is re-parented (to init or a subreaper), so its parent pid changes.
// The process gets SIGTERM from itself, so its own shutdown runs (the Kong host stops its plugin server and
// removes its temp directory); without a SIGTERM handler that ends it at once.
const CHECK_INTERVAL_MS = 200;
/** Bound for the process's own shutdown before it is ended regardless. */
const SHUTDOWN_GRACE_MS = 5_000;

/**
 * The parent the stack named (its pid, set by StackChild), so a parent that died before this module ran is noticed
 * too; processes this one starts watch their own parent, so the variable is not passed on.
 */
const named = Number(process.env["MESHGATE_PARENT_PID"]);
delete process.env["MESHGATE_PARENT_PID"];
const parentAtStart = Number.isInteger(named) && named > 0 ? named : process.ppid;

const watch = setInterval(() => {
  if (process.ppid === parentAtStart) return;
  clearInterval(watch);
  setTimeout(() => process.exit(1), SHUTDOWN_GRACE_MS).unref();
  process.kill(process.pid, "SIGTERM");
}, CHECK_INTERVAL_MS);
// The watch alone must not keep a process alive that has nothing else to do.
watch.unref();

// Once the parent is gone, so is the reader of this process's stdout and stderr: a write then fails (EPIPE) with an
// 'error' event that, unhandled, ends the process before its shutdown runs (the Kong host, which echoes its log at
// log_level info, would leave its temp directory behind). Lost output is the lesser harm.
process.stdout.on("error", () => undefined);
process.stderr.on("error", () => undefined);
