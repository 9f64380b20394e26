// Decision-cache keys: SHA-256 over the auth settings' fingerprint, the full token and the values
// of every header forwarded to the auth service — so a decision is only reused where the auth
// service would have been asked exactly the same question. Never the raw token, never a prefix.
import { sha256, toHex } from "./digest";
import { Header, firstHeader } from "./headers";
import { JsonValue, stringifyJson } from "./json";
import { AuthMode, AuthPolicy, HeaderMapping } from "./policy";
import { utf8Encode } from "./utf8";

/** Everything in the auth settings that can change the auth service's answer. Compute once per policy. */
export function authFingerprint(auth: AuthPolicy): string {
  const bodyRule = auth.bodyRule;
  return "meshgate-cache-v1\n" +
    (auth.mode == AuthMode.Forward ? "forward" : auth.mode == AuthMode.Jwt ? jwtRulesText(auth) : "introspection") + "\n" +
    auth.service.url + "\n" + auth.service.cluster + "\n" + auth.service.authority + "\n" + auth.service.path + "\n" +
    auth.forwardHeaders.join(",") + "\n" +
    auth.introspectionAuthorization + "\n" +
    (bodyRule != null ? bodyRule.pointer + "=" + bodyRule.equals : "") +
    // What a decision keeps for requirements: an entry kept without them must not answer a policy that reads them.
    (auth.keepsAuthorization ? "\nkeeps:" + auth.neededClaims.join(",") + ";" + mappingsText(auth.claimHeaders) : "");
}

/** In jwt mode, what decides a token's fate and identity (a decision kept under other rules must not answer):
 *  where the keys come from, the claim checks and the claim → identity mapping. */
function jwtRulesText(auth: AuthPolicy): string {
  const jwt = auth.jwt;
  const jwks = jwt.jwks;
  return "jwt;" + jwks.url + " " + jwks.cluster + " " + jwks.authority + " " + jwks.path + ";" + jwt.issuers.join(" ") + ";" +
    jwt.audiences.join(" ") + ";" + jwt.algorithms.join(",") + ";" + stringifyJson(JsonValue.ofNumber(jwt.clockSkewSeconds)) + ";" +
    jwt.subjectClaim + ";" + jwt.groupsClaim + ";" + mappingsText(auth.headerMappings);
}

function mappingsText(mappings: Array<HeaderMapping>): string {
  let out = "";
  for (let i = 0; i < mappings.length; i++) out += mappings[i].from + "=" + mappings[i].to + ",";
  return out;
}

/** Hex SHA-256 of a string's UTF-8 bytes. The portable implementation serves both builds; a plane with a
 *  native SHA-256 (Node's crypto on the Kong plane) may supply its own — the vectors prove them equal. */
export class KeyDigest {
  hex(material: string): string {
    return toHex(sha256(utf8Encode(material)));
  }

  /** hex(fingerprint + "\n" + token + tail): a plane that remembers keys may look them up by the parts
   *  instead of building the material (a token is often a kilobyte). */
  hexOfParts(fingerprint: string, token: string, tail: string): string {
    return this.hex(fingerprint + "\n" + token + tail);
  }

  /** hexOfParts with the token given as text.substring(start, end): a plane may look it up without copying it. */
  hexOfRange(fingerprint: string, text: string, start: i32, end: i32, tail: string): string {
    return this.hexOfParts(fingerprint, text.substring(start, end), tail);
  }
}

export function decisionCacheKey(fingerprint: string, auth: AuthPolicy, token: string, headers: Array<Header>, method: string, path: string): string {
  return cacheKeyWith(new KeyDigest(), fingerprint, auth, token, headers, method, path);
}

export function cacheKeyWith(digest: KeyDigest, fingerprint: string, auth: AuthPolicy, token: string, headers: Array<Header>, method: string, path: string): string {
  return cacheKeyOfRange(digest, fingerprint, auth, token, 0, token.length, headers, method, path);
}

/** cacheKeyWith for the token text.substring(start, end). */
export function cacheKeyOfRange(
  digest: KeyDigest, fingerprint: string, auth: AuthPolicy, text: string, start: i32, end: i32, headers: Array<Header>, method: string, path: string
): string {
  let tail = "";
  for (let i = 0; i < auth.forwardHeaders.length; i++) {
    const name = auth.forwardHeaders[i];
    tail += "\n" + name + ":" + forwardedValue(name, headers, method, path);
  }
  return digest.hexOfRange(fingerprint, text, start, end, tail);
}

/** Value of a forwarded header; `:method` and `:path` name the request line itself. */
export function forwardedValue(name: string, headers: Array<Header>, method: string, path: string): string {
  if (name == ":method") return method;
  if (name == ":path") return path;
  const value = firstHeader(headers, name);
  return value != null ? value : "";
}
