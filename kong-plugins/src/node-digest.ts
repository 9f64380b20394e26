// Node's native SHA-256 for decision-cache keys (≈10× the portable implementation on a 1 KB token), one-shot
// (no Hash object per key: this runs on every cached request); the conformance vectors, whose SHA-256
// expectations come from node:crypto, prove both agree.
import { hash } from "node:crypto";
import { KeyDigest } from "../../shared/src/cache-key";

export class NodeKeyDigest extends KeyDigest {
  override hex(material: string): string {
    return hash("sha256", material, "hex");
  }
}
