// Every file written from the field table (shared/src/policy-fields.ts): path → content, given the current files.
import { renderJsonSchema, JSON_SCHEMA_PATH } from "./json-schema";
import { renderKongSchemaModule } from "./kong-schema";
import { PARSER_FACTS_PATH, renderParserFacts } from "./parser-facts";
import { REFERENCE_PATH, renderReferenceTables } from "./reference-tables";

export const KONG_SCHEMA_PATH = "kong-plugins/src/schema.ts";

export function generatedFiles(read: (path: string) => string): Map<string, string> {
  return new Map([
    [KONG_SCHEMA_PATH, renderKongSchemaModule()],
    [JSON_SCHEMA_PATH, renderJsonSchema()],
    [REFERENCE_PATH, renderReferenceTables(read(REFERENCE_PATH))],
    [PARSER_FACTS_PATH, renderParserFacts()],
  ]);
}
