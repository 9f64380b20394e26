// Parses `auth.jwt` (the `jwt` mode's settings: key set address, accepted tokens, key refresh) into JwtSettings.
// The cross-field rules with the rest of `auth` (the section is required in `jwt` mode, refused in the others)
// are policy-parse.ts's.
import { JsonValue } from "./json";
import { isAllowableAlgorithm } from "./jws";
import { JwtSettings } from "./policy";
import {
  AUTH_JWT_ALGORITHMS_ITEM_PHRASE, AUTH_JWT_ALGORITHMS_MAX_LENGTH, AUTH_JWT_ALGORITHMS_MIN_LENGTH, AUTH_JWT_ALGORITHMS_PHRASE,
  AUTH_JWT_AUDIENCES_ITEM_MAX_LENGTH, AUTH_JWT_AUDIENCES_ITEM_MIN_LENGTH, AUTH_JWT_AUDIENCES_ITEM_PHRASE,
  AUTH_JWT_AUDIENCES_MAX_LENGTH, AUTH_JWT_AUDIENCES_MIN_LENGTH, AUTH_JWT_AUDIENCES_PHRASE, AUTH_JWT_CLAIMS_GROUPS_MAX_LENGTH,
  AUTH_JWT_CLAIMS_GROUPS_MIN_LENGTH, AUTH_JWT_CLAIMS_GROUPS_PHRASE, AUTH_JWT_CLAIMS_SUBJECT_MAX_LENGTH,
  AUTH_JWT_CLAIMS_SUBJECT_MIN_LENGTH, AUTH_JWT_CLAIMS_SUBJECT_PHRASE, AUTH_JWT_CLOCK_SKEW_SECONDS_MAX,
  AUTH_JWT_CLOCK_SKEW_SECONDS_MIN, AUTH_JWT_ISSUERS_ITEM_MAX_LENGTH, AUTH_JWT_ISSUERS_ITEM_MIN_LENGTH,
  AUTH_JWT_ISSUERS_ITEM_PHRASE, AUTH_JWT_ISSUERS_MAX_LENGTH, AUTH_JWT_ISSUERS_MIN_LENGTH, AUTH_JWT_ISSUERS_PHRASE,
  AUTH_JWT_JWKS_TIMEOUT_MS_MAX, AUTH_JWT_JWKS_TIMEOUT_MS_MIN, AUTH_JWT_MIN_REFETCH_SECONDS_MAX,
  AUTH_JWT_MIN_REFETCH_SECONDS_MIN, AUTH_JWT_REFRESH_SECONDS_MAX, AUTH_JWT_REFRESH_SECONDS_MIN, AUTH_JWT_STALE_SECONDS_MAX,
  AUTH_JWT_STALE_SECONDS_MIN,
} from "./policy-facts.generated";
import { isObjectOrReport, parseService } from "./policy-parse";
import { MemberWalk, PolicyErrors, describeValue, itemPath, memberPath, readInt, readNumber } from "./policy-reader";
import { hasNoControl } from "./policy-syntax";

export const JWT_FIELDS: Array<string> = [
  "jwks", "issuers", "audiences", "algorithms", "clockSkewSeconds", "claims", "refreshSeconds", "minRefetchSeconds", "staleSeconds",
];
const JWKS_FIELDS: Array<string> = ["url", "cluster", "authority", "path", "timeoutMs"];
const CLAIMS_FIELDS: Array<string> = ["subject", "groups"];

export function parseJwt(errors: PolicyErrors, section: JsonValue, path: string, out: JwtSettings): void {
  if (!isObjectOrReport(errors, section, path)) return;
  const walk = new MemberWalk(errors, JWT_FIELDS);
  for (let i = 0; i < section.keys.length; i++) {
    const key = section.keys[i];
    const at = memberPath(path, key);
    if (!walk.accept(key, at)) continue;
    const value = section.values[i];
    if (key == "jwks") parseJwks(errors, value, at, out);
    else if (key == "issuers") {
      out.issuers = readTexts(errors, value, at, AUTH_JWT_ISSUERS_MIN_LENGTH, AUTH_JWT_ISSUERS_MAX_LENGTH, AUTH_JWT_ISSUERS_PHRASE(),
        AUTH_JWT_ISSUERS_ITEM_MIN_LENGTH, AUTH_JWT_ISSUERS_ITEM_MAX_LENGTH, AUTH_JWT_ISSUERS_ITEM_PHRASE());
    } else if (key == "audiences") {
      out.audiences = readTexts(errors, value, at, AUTH_JWT_AUDIENCES_MIN_LENGTH, AUTH_JWT_AUDIENCES_MAX_LENGTH, AUTH_JWT_AUDIENCES_PHRASE(),
        AUTH_JWT_AUDIENCES_ITEM_MIN_LENGTH, AUTH_JWT_AUDIENCES_ITEM_MAX_LENGTH, AUTH_JWT_AUDIENCES_ITEM_PHRASE());
    } else if (key == "algorithms") out.algorithms = readAlgorithms(errors, value, at);
    else if (key == "clockSkewSeconds") {
      out.clockSkewSeconds = readNumber(errors, value, at, AUTH_JWT_CLOCK_SKEW_SECONDS_MIN, AUTH_JWT_CLOCK_SKEW_SECONDS_MAX, out.clockSkewSeconds);
    } else if (key == "claims") parseClaims(errors, value, at, out);
    else if (key == "refreshSeconds") out.refreshSeconds = readInt(errors, value, at, AUTH_JWT_REFRESH_SECONDS_MIN, AUTH_JWT_REFRESH_SECONDS_MAX, out.refreshSeconds);
    else if (key == "minRefetchSeconds") {
      out.minRefetchSeconds = readInt(errors, value, at, AUTH_JWT_MIN_REFETCH_SECONDS_MIN, AUTH_JWT_MIN_REFETCH_SECONDS_MAX, out.minRefetchSeconds);
    } else out.staleSeconds = readInt(errors, value, at, AUTH_JWT_STALE_SECONDS_MIN, AUTH_JWT_STALE_SECONDS_MAX, out.staleSeconds);
  }
  if (!section.has("jwks")) errors.expected(memberPath(path, "jwks"), "object", null);
  if (!section.has("issuers")) errors.expected(memberPath(path, "issuers"), AUTH_JWT_ISSUERS_PHRASE(), null);
}

function parseJwks(errors: PolicyErrors, value: JsonValue, path: string, out: JwtSettings): void {
  if (!isObjectOrReport(errors, value, path)) return;
  // The address members read as `auth.service`'s; timeoutMs is the key set's own.
  const address = JsonValue.object();
  const walk = new MemberWalk(errors, JWKS_FIELDS);
  for (let i = 0; i < value.keys.length; i++) {
    const key = value.keys[i];
    const at = memberPath(path, key);
    if (!walk.accept(key, at)) continue;
    if (key == "timeoutMs") out.jwksTimeoutMs = readInt(errors, value.values[i], at, AUTH_JWT_JWKS_TIMEOUT_MS_MIN, AUTH_JWT_JWKS_TIMEOUT_MS_MAX, out.jwksTimeoutMs);
    else address.set(key, value.values[i]);
  }
  parseService(errors, address, path, out.jwks, true);
}

function parseClaims(errors: PolicyErrors, value: JsonValue, path: string, out: JwtSettings): void {
  if (!isObjectOrReport(errors, value, path)) return;
  const walk = new MemberWalk(errors, CLAIMS_FIELDS);
  for (let i = 0; i < value.keys.length; i++) {
    const key = value.keys[i];
    const at = memberPath(path, key);
    if (!walk.accept(key, at)) continue;
    const member = value.values[i];
    if (key == "subject") {
      if (member.isString() && hasNoControl(member.str, AUTH_JWT_CLAIMS_SUBJECT_MIN_LENGTH, AUTH_JWT_CLAIMS_SUBJECT_MAX_LENGTH)) out.subjectClaim = member.str;
      else errors.expected(at, AUTH_JWT_CLAIMS_SUBJECT_PHRASE(), member);
    } else {
      if (member.isString() && hasNoControl(member.str, AUTH_JWT_CLAIMS_GROUPS_MIN_LENGTH, AUTH_JWT_CLAIMS_GROUPS_MAX_LENGTH)) out.groupsClaim = member.str;
      else errors.expected(at, AUTH_JWT_CLAIMS_GROUPS_PHRASE(), member);
    }
  }
}

function readTexts(
  errors: PolicyErrors, value: JsonValue, path: string, minItems: i32, maxItems: i32, arrayWhat: string, minLength: i32, maxLength: i32, itemWhat: string,
): Array<string> {
  const out = new Array<string>();
  if (!value.isArray() || value.items.length < minItems || value.items.length > maxItems) {
    errors.expected(path, arrayWhat, value);
    return out;
  }
  for (let i = 0; i < value.items.length; i++) {
    const item = value.items[i];
    if (item.isString() && hasNoControl(item.str, minLength, maxLength)) out.push(item.str);
    else errors.expected(itemPath(path, i), itemWhat, item);
  }
  return out;
}

/** The allow list; `none` and HS* get an error that says why they are never accepted. */
function readAlgorithms(errors: PolicyErrors, value: JsonValue, path: string): Array<string> {
  const out = new Array<string>();
  if (!value.isArray() || value.items.length < AUTH_JWT_ALGORITHMS_MIN_LENGTH || value.items.length > AUTH_JWT_ALGORITHMS_MAX_LENGTH) {
    errors.expected(path, AUTH_JWT_ALGORITHMS_PHRASE(), value);
    return out;
  }
  for (let i = 0; i < value.items.length; i++) {
    const item = value.items[i];
    const at = itemPath(path, i);
    if (item.isString() && isAllowableAlgorithm(item.str)) {
      if (out.includes(item.str)) errors.expectedGot(at, AUTH_JWT_ALGORITHMS_ITEM_PHRASE() + " given once", describeValue(item) + " again");
      else out.push(item.str);
    } else if (item.isString() && neverAcceptedWhy(item.str).length > 0) {
      errors.expectedGot(at, AUTH_JWT_ALGORITHMS_ITEM_PHRASE(), describeValue(item) + " (never accepted: " + neverAcceptedWhy(item.str) + ")");
    } else errors.expected(at, AUTH_JWT_ALGORITHMS_ITEM_PHRASE(), item);
  }
  return out;
}

/** Why an algorithm is never accepted, whatever the list says ("" for the others). */
function neverAcceptedWhy(alg: string): string {
  const upper = alg.toUpperCase();
  if (upper == "NONE") return "an unsigned token proves nothing";
  if (upper.startsWith("HS")) return "HMAC needs a shared secret, and a key set only publishes public keys";
  return "";
}
