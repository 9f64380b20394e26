import type { AuthFaults, FaultTarget } from "./types.js";
import { type Checked, firstUnknownKey, invalid, isPlainObject, valid } from "./validation.js";

const BOOLEAN_FAULTS = ["down", "garbage", "hugeBody", "closeMidBody", "wrongContentType"] as const;
const KNOWN_FIELDS = ["targets", "delayMs", "status", "errorRate", ...BOOLEAN_FAULTS] as const;
const FAULT_TARGETS: readonly FaultTarget[] = ["introspect", "verify", "jwks"];
const DEFAULT_TARGETS: readonly FaultTarget[] = ["introspect", "verify"];
export const MAX_DELAY_MS = 600_000;
const RATE_SCALE = 1_000_000;

export function checkFaults(input: unknown): Checked<AuthFaults> {
  if (!isPlainObject(input)) return invalid("body", "faults must be a JSON object");
  const unknownKey = firstUnknownKey(input, KNOWN_FIELDS);
  if (unknownKey !== null) return invalid(unknownKey, `unknown fault '${unknownKey}' (known: ${KNOWN_FIELDS.join(", ")})`);

  const faults: AuthFaults = {};
  const { targets, delayMs, status, errorRate } = input;
  if (targets !== undefined) {
    const known = (value: unknown): value is FaultTarget => FAULT_TARGETS.includes(value as FaultTarget);
    if (!Array.isArray(targets) || targets.length === 0 || !targets.every(known) || new Set(targets).size !== targets.length) {
      return invalid("targets", `targets must be a non-empty list of distinct endpoints from ${FAULT_TARGETS.join(", ")}`);
    }
    faults.targets = [...targets];
  }
  if (delayMs !== undefined) {
    if (typeof delayMs !== "number" || !Number.isFinite(delayMs) || delayMs < 0 || delayMs > MAX_DELAY_MS) {
      return invalid("delayMs", `delayMs must be a number of milliseconds from 0 to ${MAX_DELAY_MS}`);
    }
    faults.delayMs = delayMs;
  }
  if (status !== undefined) {
    if (typeof status !== "number" || !Number.isInteger(status) || status < 200 || status > 599) {
      return invalid("status", "status must be an integer HTTP status from 200 to 599");
    }
    faults.status = status;
  }
  if (errorRate !== undefined) {
    if (typeof errorRate !== "number" || !Number.isFinite(errorRate) || errorRate < 0 || errorRate > 1) {
      return invalid("errorRate", "errorRate must be a number from 0 to 1");
    }
    faults.errorRate = errorRate;
  }
  for (const name of BOOLEAN_FAULTS) {
    const flag = input[name];
    if (flag === undefined) continue;
    if (typeof flag !== "boolean") return invalid(name, `${name} must be true or false`);
    if (flag) faults[name] = true;
  }
  return valid(faults);
}

/** What one faultable call gets: a delay for every call, the other faults only when `selected`. */
export interface CallFaults {
  delayMs: number;
  selected: boolean;
  faults: AuthFaults;
}

/**
 * Holds the active faults and decides, deterministically, which calls get them.
 * With errorRate r, call n (1-based, counted since the faults were set) is selected when
 * floor(n·r) > floor((n−1)·r): exactly floor(n·r) of the first n calls, evenly spread
 * (r = 0.5 → calls 2, 4, 6…; r = 0.25 → calls 4, 8…).
 */
export class FaultSchedule {
  private faults: AuthFaults = {};
  private calls = 0;

  set(faults: AuthFaults): void {
    this.faults = { ...faults };
    this.calls = 0;
  }

  clear(): void {
    this.set({});
  }

  current(): AuthFaults {
    return { ...this.faults };
  }

  /** The faults for one call to `endpoint`; endpoints outside the targets get none and do not advance the sequence. */
  nextCall(endpoint: FaultTarget): CallFaults {
    const faults = { ...this.faults };
    if (!(faults.targets ?? DEFAULT_TARGETS).includes(endpoint)) return { delayMs: 0, selected: false, faults: {} };
    const delayMs = faults.delayMs ?? 0;
    if (!hasSelectableFault(faults)) return { delayMs, selected: false, faults };
    this.calls += 1;
    return { delayMs, selected: this.isSelected(this.calls, faults.errorRate), faults };
  }

  private isSelected(call: number, errorRate: number | undefined): boolean {
    if (errorRate === undefined) return true;
    // Integer parts-per-million so that e.g. 0.57 × 100 is exactly 57, not 56.999….
    const ppm = Math.round(errorRate * RATE_SCALE);
    return Math.floor((call * ppm) / RATE_SCALE) > Math.floor(((call - 1) * ppm) / RATE_SCALE);
  }
}

function hasSelectableFault(faults: AuthFaults): boolean {
  return faults.status !== undefined || faults.errorRate !== undefined || BOOLEAN_FAULTS.some((name) => faults[name] === true);
}
