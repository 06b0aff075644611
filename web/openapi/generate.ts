/**
 * Builds the OpenAPI 3.1 document of the HTTP API from the routes the handlers declare:
 * every functions/http/** module exports `route` (method, path, auth and the zod schemas
 * it validates with), so request bodies, path, query and header parameters come from the
 * same zod schemas (zod v4's JSON Schema output); responses come from ./responses.ts.
 *
 *   npm run openapi    writes web/openapi/openapi.json and the typed client's
 *                      web/src/api/schema.d.ts (test/unit/openapi.test.ts checks the document is current)
 */
import '../../lib/queue/lua-loader';
import { readdirSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { z } from 'zod';
import { componentSchemas, routeDocs } from './responses';

export const projectDir = resolve(__dirname, '..', '..');
export const documentPath = join(projectDir, 'web', 'openapi', 'openapi.json');

interface DeclaredRoute {
  file: string;
  endpoint: { method: string; path: string };
  auth: 'public' | 'user' | 'admin';
  body?: z.ZodType;
  path?: z.ZodType;
  query?: z.ZodType;
  headers?: z.ZodType;
  queueGate?: unknown;
}

function moduleFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? moduleFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** Every route exported by a functions/http/** module. */
export async function declaredRoutes(): Promise<DeclaredRoute[]> {
  const files = moduleFiles(join(projectDir, 'functions', 'http')).sort();
  const routes: DeclaredRoute[] = [];
  for (const file of files) {
    const mod = await import(file);
    if (mod.route) routes.push({ ...mod.route, file: relative(projectDir, file) });
  }
  return routes;
}

const jsonSchema = (schema: z.ZodType) => {
  const { $schema, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, any>;
  return rest;
};

function parametersOf(schema: z.ZodType | undefined, where: 'path' | 'query' | 'header') {
  if (!schema) return [];
  const js = jsonSchema(schema);
  const required = new Set<string>(js.required ?? []);
  return Object.entries<Record<string, any>>(js.properties ?? {}).map(([name, s]) => ({
    name: where === 'header' ? name.replace(/(^|-)([a-z])/g, (_m, dash, c) => dash + c.toUpperCase()) : name,
    in: where,
    required: where === 'path' || (required.has(name) && s.default === undefined),
    schema: s,
  }));
}

const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } });

const ERROR_TEXT: Record<number, string> = {
  400: 'Invalid input (VALIDATION_FAILED, INVALID_JSON, ...)',
  401: 'Missing or invalid token (UNAUTHENTICATED, QUEUE_TOKEN_EXPIRED, ...)',
  402: 'Insufficient balance (INSUFFICIENT_BALANCE: states the balance and the price)',
  403: 'Not allowed (FORBIDDEN, QUEUE_TOKEN_NOT_ACTIVE, ...)',
  404: 'Not found',
  409: 'Conflict (SEAT_NOT_AVAILABLE, INSUFFICIENT_BALANCE, ALREADY_PAID, ...)',
  422: 'Well-formed but refused (BALANCE_LIMIT_EXCEEDED, IDEMPOTENCY_KEY_REUSED, ...)',
  429: 'Too many requests (RATE_LIMITED, TOO_MANY_UNPAID_HOLDS: Retry-After says when to try again; nothing was done)',
  503: 'A dependency is down (DEPENDENCY_UNAVAILABLE); nothing was changed',
};

export async function buildDocument() {
  const routes = await declaredRoutes();
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const key = `${route.endpoint.method} ${route.endpoint.path}`;
    const doc = routeDocs[key];
    if (!doc) throw new Error(`${route.file}: no entry for "${key}" in web/openapi/responses.ts`);
    const parameters = [
      ...parametersOf(route.path, 'path'),
      ...parametersOf(route.query, 'query'),
      ...parametersOf(route.headers, 'header'),
    ];
    if (doc.queueToken) {
      parameters.push({ name: 'X-Queue-Token', in: 'header', required: true, schema: { type: 'string' } });
    }
    const success = {
      description: doc.summary,
      content: { 'application/json': { schema: { $ref: `#/components/schemas/${doc.success.schema}` } } },
    };
    const responses: Record<string, unknown> = { [String(doc.success.status)]: success };
    if (doc.success.alsoOk) responses['200'] = success;
    const errors = new Set<number>([...(doc.errors ?? []), 503]);
    // Every route refuses input it does not take (a query string on a route without one, bad JSON).
    errors.add(400);
    // A public route still checks an Authorization header that is sent (lib/http/handler.ts).
    errors.add(401);
    if (route.auth !== 'public') errors.add(403);
    for (const status of [...errors].sort()) {
      const schema = doc.errorSchemas?.[status];
      responses[String(status)] = schema
        ? {
            description: ERROR_TEXT[status] ?? 'Error',
            // Either the route's own body or, when the failure comes before it (a secret
            // that cannot be read at cold start), the usual Error.
            content: { 'application/json': { schema: { oneOf: [{ $ref: `#/components/schemas/${schema}` }, { $ref: '#/components/schemas/Error' }] } } },
          }
        : errorResponse(ERROR_TEXT[status] ?? 'Error');
    }
    const operation: Record<string, unknown> = {
      operationId: route.file.replace(/^functions\/http\//, '').replace(/\.ts$/, '').replace(/[/-](\w)/g, (_m, c: string) => c.toUpperCase()),
      summary: doc.summary,
      tags: [route.endpoint.path.split('/')[2]],
      security: route.auth === 'public' ? [] : [{ bearerAuth: route.auth === 'admin' ? ['admin'] : [] }],
      ...(parameters.length > 0 ? { parameters } : {}),
      ...(route.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(route.body) } } } } : {}),
      responses,
    };
    (paths[route.endpoint.path] ??= {})[route.endpoint.method.toLowerCase()] = operation;
  }
  const sortedPaths = Object.fromEntries(Object.entries(paths).sort(([a], [b]) => a.localeCompare(b)));
  return {
    openapi: '3.1.0',
    info: {
      title: 'Concert ticketing with a virtual waiting room',
      version: '1',
      description:
        'All bodies are JSON; money is an integer number of won. Errors are {"error": {"code", "message"}}. Booking endpoints need X-Queue-Token holding an ACTIVE queue token. POST /v1/dev/tokens exists on local stages only.',
    },
    servers: [{ url: '/', description: 'the API (locally http://127.0.0.1:3000, or through the web server on :8080)' }],
    paths: sortedPaths,
    components: {
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'sub = user id; admin routes need role "admin"' } },
      schemas: componentSchemas,
    },
  };
}

export const serialize = (doc: unknown) => `${JSON.stringify(doc, null, 2)}\n`;

if (require.main === module) {
  buildDocument()
    .then((doc) => {
      writeFileSync(documentPath, serialize(doc));
      console.log(`wrote ${relative(projectDir, documentPath)} (${Object.keys(doc.paths).length} paths)`);
      process.exit(0);
    })
    .catch((err) => {
      console.error(err);
      process.exit(1);
    });
}
