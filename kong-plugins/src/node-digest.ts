// Node's native SHA-256 for decision-cache keys (≈10× the portable implementation on a 1 KB token);
// the conformance vectors, whose SHA-256 expectations come from node:crypto, prove both agree.
import { createHash } from "node:crypto";
import { KeyDigest } from "../../shared/src/cache-key";

export class NodeKeyDigest extends KeyDigest {
  override hex(material: string): string {
    return createHash("sha256").update(material, "utf8").digest("hex");
  }
}
