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
import { istioRenderWarnings, kongRenderWarnings } from "./render-warnings";
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
  const warnings = policyWarnings(policy.effective);
  switch (command.kind) {
    case "validate":
      if (!warn(warnings, command.strict, io)) return EXIT_INVALID;
      io.out("ok\n");
      return EXIT_OK;
    case "normalize":
      if (!warn(warnings, command.strict, io)) return EXIT_INVALID;
      io.out(formatDocuments([{ comment: [], value: policy.effective }], command.format));
      return EXIT_OK;
    case "render-kong": {
      const outcome = renderKong(document, source.name, command.options);
      warnings.push(...kongRenderWarnings(document, command.given, command.options));
      return emit(policy.gaps.kong, outcome, warnings, command, "kong", io);
    }
    case "render-istio": {
      const options = { ...command.options, url: command.options.url ?? defaultWasmUrl(packageJson.version) };
      const outcome = renderIstio(document, source.name, options);
      warnings.push(...istioRenderWarnings(command.given, options));
      return emit(policy.gaps.envoy, outcome, warnings, command, "istio", io);
    }
  }
}

/** Prints the warnings; with --strict they are errors and the command stops (false). */
function warn(warnings: string[], strict: boolean, io: Io): boolean {
  const label = strict ? "error (--strict)" : "warning";
  for (const warning of warnings) io.err(`meshgate: ${label}: ${warning}\n`);
  return !strict || warnings.length === 0;
}

/** `gaps`: what the core says the plane lacks (planeGaps): a refusal like the renderer's own. */
function emit(gaps: string[], outcome: RenderOutcome, warnings: string[], command: { format: OutputFormat; strict: boolean }, plane: string, io: Io): number {
  const refusals = [...gaps, ...outcome.refusals];
  if (refusals.length > 0) {
    io.err(refusals.map((line) => `meshgate: cannot render for ${plane}: ${line}\n`).join(""));
    return EXIT_INVALID;
  }
  if (!warn([...warnings, ...outcome.warnings], command.strict, io)) return EXIT_INVALID;
  io.out(formatDocuments(outcome.documents, command.format));
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
