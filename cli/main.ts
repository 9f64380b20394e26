// `npx meshgate …`: validate a policy and render it for Kong and for Istio.
import packageJson from "../package.json";
import { parseArgs } from "./args";
import type { Command } from "./args";
import { checkPolicy } from "./check-policy";
import type { CheckedPolicy } from "./check-policy";
import { loadPolicySource, UnreadablePolicy } from "./load";
import type { PolicySource } from "./load";
import { formatDocuments } from "./output";
import { policyWarnings } from "./policy-warnings";
import type { OutputFormat } from "./output";
import { renderKong } from "./render-kong";
import type { RenderOutcome } from "./render-kong";
import { defaultWasmUrl, renderIstio } from "./render-istio";
import { USAGE } from "./usage";

const EXIT_OK = 0;
const EXIT_INVALID = 1;
const EXIT_USAGE = 2;

interface Io {
  out(text: string): void;
  err(text: string): void;
}

function run(argv: string[], io: Io): number {
  const parsed = parseArgs(argv);
  if (parsed.error !== undefined) {
    io.err(`meshgate: ${parsed.error}\nRun \`meshgate --help\` for usage.\n`);
    return EXIT_USAGE;
  }
  const command = parsed.command;
  if (command.kind === "help") { io.out(USAGE); return EXIT_OK; }
  if (command.kind === "version") { io.out(`${packageJson.version}\n`); return EXIT_OK; }
  let source: PolicySource;
  try {
    source = loadPolicySource(command.policy);
  } catch (error) {
    if (!(error instanceof UnreadablePolicy)) throw error;
    io.err(`meshgate: ${error.message}\n`);
    return EXIT_USAGE;
  }
  const checked = checkPolicy(source);
  if (checked.policy === null) {
    io.err(checked.errors.map((line) => `${line}\n`).join(""));
    return EXIT_INVALID;
  }
  return runOnValidPolicy(command, source, checked.policy, io);
}

function runOnValidPolicy(command: Exclude<Command, { kind: "help" | "version" }>, source: PolicySource, policy: CheckedPolicy, io: Io): number {
  const document = policy.document;
  for (const warning of policyWarnings(policy.effective)) io.err(`meshgate: warning: ${warning}\n`);
  switch (command.kind) {
    case "validate":
      io.out("ok\n");
      return EXIT_OK;
    case "normalize":
      io.out(formatDocuments([{ comment: [], value: policy.effective }], command.format));
      return EXIT_OK;
    case "render-kong":
      return emit(renderKong(document, source.name, command.options), command.format, "kong", io);
    case "render-istio":
      return emit(renderIstio(document, source.name, { ...command.options, url: command.options.url ?? defaultWasmUrl(packageJson.version) }), command.format, "istio", io);
  }
}

function emit(outcome: RenderOutcome, format: OutputFormat, plane: string, io: Io): number {
  if (outcome.refusals.length > 0) {
    io.err(outcome.refusals.map((line) => `meshgate: cannot render for ${plane}: ${line}\n`).join(""));
    return EXIT_INVALID;
  }
  for (const warning of outcome.warnings) io.err(`meshgate: warning: ${warning}\n`);
  io.out(formatDocuments(outcome.documents, format));
  return EXIT_OK;
}

/** EX_SOFTWARE: a bug in meshgate, never a verdict on the policy. */
const EXIT_INTERNAL = 70;

// A reader that stops early (`| head`) is not an error worth a stack trace.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code !== "EPIPE") throw error;
});

try {
  process.exitCode = run(process.argv.slice(2), {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
  });
} catch (error) {
  process.stderr.write(`meshgate: internal error: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exitCode = EXIT_INTERNAL;
}
