/**
 * The OpenAPI contract, checked on every answer the tests see over HTTP: each response
 * of test/support/api.ts is validated (ajv, JSON Schema 2020-12 as OpenAPI 3.1 uses)
 * against web/openapi/openapi.json for its route and status. An answer whose status the
 * document does not list for its route, or whose body does not match, is a violation;
 * test/support/contract-setup.ts fails the test file that saw one. Requests to paths the
 * document does not have (the tests of unknown routes) are not checked here: the unit
 * test checks the document covers exactly the declared routes.
 */
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

interface Operation {
  responses: Record<string, { content?: Record<string, { schema?: unknown }> }>;
}
type Document = { paths: Record<string, Record<string, Operation>> };

const DOC_ID = 'openapi';
let compiled: { doc: Document; ajv: Ajv2020; routes: { template: string; pattern: RegExp }[] } | undefined;

function load() {
  if (compiled) return compiled;
  const doc = JSON.parse(readFileSync(join(__dirname, '..', '..', 'web', 'openapi', 'openapi.json'), 'utf8')) as Document;
  // strict: false, as the document's own keywords (openapi, info, paths...) are not JSON Schema.
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema({ ...doc, $id: DOC_ID });
  const routes = Object.keys(doc.paths)
    // Fixed segments before parameters, so /v1/concerts/{id}/fairness/entries wins over a looser match.
    .sort((a, b) => b.split('/').length - a.split('/').length || a.localeCompare(b))
    .map((template) => ({ template, pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`) }));
  compiled = { doc, ajv, routes };
  return compiled;
}

const pointer = (...parts: string[]) => parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');
const validators = new Map<string, ValidateFunction | null>();

export interface ContractViolation {
  request: string;
  status: number;
  problem: string;
}

const seen: ContractViolation[] = [];
let checked = 0;

/** Checks one answer; returns the violation, if any (and remembers it for the file's afterAll). */
export function checkResponse(method: string, url: string, status: number, body: unknown, contentType: string | undefined): ContractViolation | undefined {
  const { doc, ajv, routes } = load();
  const path = url.split('?')[0]!;
  const route = routes.find((r) => r.pattern.test(path));
  const op = route && doc.paths[route.template]?.[method.toLowerCase()];
  if (!route || !op) return undefined;
  checked++;
  const request = `${method} ${route.template}`;
  const response = op.responses[String(status)];
  const violation = (problem: string) => {
    const v = { request, status, problem };
    seen.push(v);
    return v;
  };
  if (!response) return violation(`status ${status} is not documented (documented: ${Object.keys(op.responses).join(', ')}); body ${JSON.stringify(body).slice(0, 200)}`);
  const json = response.content?.['application/json'];
  if (!json?.schema) return undefined; // documented without a body (e.g. 204)
  if (!/json/.test(contentType ?? '')) return violation(`content-type ${contentType} where the document says application/json`);
  const key = `${route.template} ${method} ${status}`;
  if (!validators.has(key)) {
    validators.set(key, ajv.getSchema(`${DOC_ID}#/${pointer('paths', route.template, method.toLowerCase(), 'responses', String(status), 'content', 'application/json', 'schema')}`) ?? null);
  }
  const validate = validators.get(key);
  if (!validate) return violation('the schema could not be compiled');
  if (validate(body)) return undefined;
  return violation(`${ajv.errorsText(validate.errors, { separator: '; ' })}; body ${JSON.stringify(body).slice(0, 300)}`);
}

/** The violations seen since the last call, and how many answers were checked. */
export function takeViolations(): { violations: ContractViolation[]; checked: number } {
  const out = { violations: seen.splice(0), checked };
  checked = 0;
  return out;
}
