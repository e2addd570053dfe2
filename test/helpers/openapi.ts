import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { openApiDocument } from '../../lib/http/openapi';

/**
 * Checks a real answer against what the OpenAPI document promises for that operation and status:
 * the status must be documented and the JSON body must match its schema (responses are described
 * with `additionalProperties: false`, so a field the document does not name fails too). Route
 * tests call this on the answers they get, so the hand-written response schemas in
 * lib/http/schemas.ts cannot drift from what the operations return.
 */
type Json = Record<string, unknown>;

const doc = openApiDocument() as {
  paths: Record<string, Record<string, { responses: Record<string, { content?: Json }> }>>;
  components: Json;
};
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats.default(ajv);
const compiled = new Map<string, ValidateFunction>();

/** Problems with the answer, empty when it is as documented. `path` as the document writes it (`/api/v1/alerts/{id}/silence`). */
export function undocumented(path: string, method: string, status: number, body: unknown): string[] {
  const operation = doc.paths[path]?.[method.toLowerCase()];
  if (!operation) return [`${method} ${path} is not in the document`];
  const response = operation.responses[String(status)];
  if (!response) return [`${method} ${path} does not document status ${status}`];
  const schema = (response.content?.['application/json'] as { schema?: Json } | undefined)?.schema;
  if (!schema)
    return body === undefined || body === '' ? [] : [`${method} ${path} ${status}: no body is documented`];
  const key = `${method} ${path} ${status}`;
  let validate = compiled.get(key);
  if (!validate) {
    // `#/components/schemas/…` resolves against this root, as it does in the document.
    validate = ajv.compile({ ...schema, components: doc.components });
    compiled.set(key, validate);
  }
  if (validate(body)) return [];
  return (validate.errors ?? []).map(
    (e) => `${key}: ${e.instancePath || '(body)'} ${e.message} ${JSON.stringify(e.params)}`,
  );
}
