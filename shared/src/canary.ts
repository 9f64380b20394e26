// Canary decision and the headers that carry it upstream.
//
// 1. Override: honoured only for a verified, non-anonymous identity whose subject is listed in
//    overrideSubjects or that has a group listed in overrideGroups (exact, case-sensitive). The value,
//    trimmed of spaces/tabs and compared ASCII case-insensitively, is `always` (canary) or `never`
//    (stable), reason "override". Any other value, or an unpermitted caller, is ignored.
// 2. basisPoints <= 0 → stable, reason "default" (nothing is hashed).
// 3. Sticky percentage: key = subject, or the client IP when anonymous or the subject is empty; an
//    empty key → stable, reason "default". bucket = fnv1a32(utf8(salt + ":" + key)) % 10000;
//    canary iff bucket < basisPoints, reason "percentage".
// `enabled` is the caller's business: this module decides whenever it is asked.
import { FNV1A32_OFFSET, fnv1a32ContinueText } from "./digest";
import { Header } from "./headers";
import { CanaryPolicy } from "./policy";
import { utf8Encode } from "./utf8";

export const BAGGAGE_MAX_MEMBERS: i32 = 64;
export const BAGGAGE_MAX_BYTES: i32 = 8192;

export class CanaryDecision {
  canary: bool = false;
  /** "override" | "percentage" | "default" */
  reason: string = "default";
  /** 0..9999 when the key was hashed, else -1. */
  bucket: i32 = -1;
}

/** What the decisions and headers of a policy share, computed once per policy. */
export class CanaryPlan {
  /** FNV-1a state after utf8(salt + ":"): the bucket only hashes the key on top of it. */
  saltState: u32 = FNV1A32_OFFSET;
  tagCanary: Header | null = null;
  tagStable: Header | null = null;
  baggageCanary: string = "";
  baggageStable: string = "";
}

export function compileCanary(p: CanaryPolicy): CanaryPlan {
  const plan = new CanaryPlan();
  plan.saltState = saltState(p.salt);
  if (p.tagHeader.length > 0) {
    plan.tagCanary = new Header(p.tagHeader, "true");
    plan.tagStable = new Header(p.tagHeader, "false");
  }
  plan.baggageCanary = p.baggageKey + "=canary";
  plan.baggageStable = p.baggageKey + "=stable";
  return plan;
}

export function decideCanary(
  p: CanaryPolicy, subject: string, groups: Array<string>, anonymous: bool, clientIp: string, overrideValue: string
): CanaryDecision {
  return decideCanaryWith(p, saltState(p.salt), subject, groups, anonymous, clientIp, overrideValue);
}

/** decideCanary with the policy's salt state (CanaryPlan.saltState) computed once. */
export function decideCanaryWith(
  p: CanaryPolicy, saltState: u32, subject: string, groups: Array<string>, anonymous: bool, clientIp: string, overrideValue: string
): CanaryDecision {
  const decision = new CanaryDecision();
  if (overridePermitted(p, subject, groups, anonymous)) {
    const value = trimOws(overrideValue);
    if (asciiEqualsIgnoreCase(value, "always") || asciiEqualsIgnoreCase(value, "never")) {
      decision.canary = asciiEqualsIgnoreCase(value, "always");
      decision.reason = "override";
      return decision;
    }
  }
  if (p.basisPoints <= 0) return decision;
  const key = !anonymous && subject.length > 0 ? subject : clientIp;
  if (key.length == 0) return decision;
  decision.bucket = bucketAfter(saltState, key);
  decision.canary = decision.bucket < p.basisPoints;
  decision.reason = "percentage";
  return decision;
}

/** fnv1a32(utf8(salt + ":" + key)) % 10000. */
export function canaryBucket(salt: string, key: string): i32 {
  return bucketAfter(saltState(salt), key);
}

// utf8(salt + ":" + key) is utf8(salt + ":") then utf8(key): the ASCII ":" keeps surrogates from pairing across.
function saltState(salt: string): u32 {
  return fnv1a32ContinueText(fnv1a32ContinueText(FNV1A32_OFFSET, salt), ":");
}

function bucketAfter(saltState: u32, key: string): i32 {
  return i32(fnv1a32ContinueText(saltState, key) % 10000);
}

/**
 * Headers to set (replace) on the upstream request: `<tagHeader>: true|false` unless tagHeader is
 * empty, and `baggage` when baggageKey is set — see mergeBaggage.
 */
export function canaryHeaders(p: CanaryPolicy, d: CanaryDecision, incomingBaggage: string): Array<Header> {
  const out = new Array<Header>();
  appendCanaryHeaders(compileCanary(p), p, d, incomingBaggage, out);
  return out;
}

/** Appends canaryHeaders(p, d, incomingBaggage) to `out`; `plan` is compileCanary(p). */
export function appendCanaryHeaders(plan: CanaryPlan, p: CanaryPolicy, d: CanaryDecision, incomingBaggage: string, out: Array<Header>): void {
  const tag = d.canary ? plan.tagCanary : plan.tagStable;
  if (tag != null) out.push(tag);
  if (p.baggageKey.length > 0) {
    out.push(new Header("baggage", mergeBaggage(incomingBaggage, d.canary ? plan.baggageCanary : plan.baggageStable, p.baggageKey)));
  }
}

/**
 * W3C baggage: drops empty list-members, members holding a byte outside printable ASCII (the incoming value is
 * a byte string; W3C baggage is ASCII, anything else is percent-encoded), and every member whose key is `key`
 * (case-sensitive), keeps
 * the others byte for byte (only the spaces/tabs around commas go), appends `member`. Our member is
 * always kept; when the list would exceed 64 members or 8192 bytes, whole incoming members are
 * dropped from the end until it fits (the spec allows dropping whole list-members, never parts).
 */
export function mergeBaggage(incoming: string, member: string, key: string): string {
  const kept = new Array<string>();
  const parts = incoming.split(",");
  for (let i = 0; i < parts.length; i++) {
    const part = trimOws(parts[i]);
    if (part.length == 0 || !isBaggageText(part)) continue;
    if (baggageMemberKey(part) == key) continue;
    kept.push(part);
  }
  // Kept members are ASCII: one byte per character. The member key comes from the policy (any text).
  let count = 0;
  let bytes = utf8Encode(member).length;
  for (let i = 0; i < kept.length; i++) {
    const next = bytes + kept[i].length + 1;
    if (count + 2 > BAGGAGE_MAX_MEMBERS || next > BAGGAGE_MAX_BYTES) break;
    bytes = next;
    count++;
  }
  let out = "";
  for (let i = 0; i < count; i++) out += kept[i] + ",";
  return out + member;
}

function isBaggageText(member: string): bool {
  for (let i = 0; i < member.length; i++) {
    const c = member.charCodeAt(i);
    if ((c < 0x20 && c != 0x09) || c >= 0x7f) return false;
  }
  return true;
}

function baggageMemberKey(member: string): string {
  let end = member.indexOf("=");
  const semicolon = member.indexOf(";");
  if (end < 0 || (semicolon >= 0 && semicolon < end)) end = semicolon;
  return trimOws(end < 0 ? member : member.substring(0, end));
}

function overridePermitted(p: CanaryPolicy, subject: string, groups: Array<string>, anonymous: bool): bool {
  if (anonymous) return false;
  if (subject.length > 0 && p.overrideSubjects.includes(subject)) return true;
  for (let i = 0; i < groups.length; i++) {
    if (groups[i].length > 0 && p.overrideGroups.includes(groups[i])) return true;
  }
  return false;
}

/** Trims HTTP optional whitespace (space and horizontal tab) only. */
function trimOws(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && isOws(s.charCodeAt(start))) start++;
  while (end > start && isOws(s.charCodeAt(end - 1))) end--;
  return s.substring(start, end);
}

function isOws(c: i32): bool {
  return c == 0x20 || c == 0x09;
}

function asciiEqualsIgnoreCase(value: string, lower: string): bool {
  if (value.length != lower.length) return false;
  for (let i = 0; i < value.length; i++) {
    let c = value.charCodeAt(i);
    if (c >= 0x41 && c <= 0x5a) c += 0x20;
    if (c != lower.charCodeAt(i)) return false;
  }
  return true;
}
