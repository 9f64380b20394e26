// `npm start`: the whole local stack in one terminal. Run as a process it starts everything and stays in the
// foreground; imported (the bundle build/dev/stack/main.mjs), it only exports the library (bench/stack uses it).
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describeExit, type ChildExit } from "./child.js";
import { formatAccessLine } from "./access-log.js";
import { formatDecisionLine } from "./decision-lines.js";
import { stackBanner } from "./banner.js";
import { stackPaths } from "./paths.js";
import { portsFromEnv, StackConfigError } from "./ports.js";
import { POLICY_VARIABLE, startStack, type Stack } from "./stack.js";

export * from "./index.js";

function reportDeath(exit: ChildExit): void {
  process.stderr.write(`\nmeshgate stack: ${exit.name} stopped on its own (${describeExit(exit)}); stopped the others. Its last output:\n`);
  for (const line of exit.lastOutput) process.stderr.write(`  ${line}\n`);
}

async function main(): Promise<void> {
  const ports = portsFromEnv(process.env);
  const policyVariable = process.env[POLICY_VARIABLE];
  const policyFile = policyVariable ? resolve(policyVariable) : stackPaths().defaultPolicy;
  let stack: Stack | null = null;
  let signals = 0;
  // Under `npm start` a Ctrl-C arrives twice (from the terminal and forwarded by npm): only the first counts.
  // stop() is bounded anyway (SIGKILL after its grace period).
  const onSignal = (signal: NodeJS.Signals): void => {
    signals += 1;
    if (signals > 1) return;
    process.stdout.write(`\nmeshgate stack: ${signal}, stopping every process…\n`);
    if (stack) void stack.stop().then(() => process.exit(0));
  };
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, onSignal);

  process.stdout.write(`meshgate stack: starting (policy ${policyFile})…\n`);
  stack = await startStack({
    ports,
    policyFile,
    onAccess: (line) => process.stdout.write(`${formatAccessLine(line)}\n`),
    onDecision: (_plane, json) => process.stdout.write(`${formatDecisionLine(json)}\n`),
    onOutput: (name, line) => process.stdout.write(`[${name}] ${line}\n`),
  });
  if (signals > 0) {
    await stack.stop();
    process.exit(0);
  }
  void stack.failed.then((exit) => {
    reportDeath(exit);
    process.exit(1);
  });
  process.stdout.write(stackBanner(stack.urls, stack.policy, policyFile, stack.envoyWorkers));
}

const invokedPath = process.argv[1] ? resolve(process.argv[1]) : "";
if (invokedPath === fileURLToPath(import.meta.url)) {
  main().catch((err: unknown) => {
    process.stderr.write(`meshgate stack: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(err instanceof StackConfigError ? 2 : 1);
  });
}
