/**
 * GET /v1/openapi.json (public): the OpenAPI 3.1 document of this API. It is
 * web/openapi/openapi.json (`npm run openapi` generates it from the routes), bundled into
 * the function, so it always describes the code it was deployed with. Touches no
 * dependency; the web server's /docs page renders it.
 */
import document from '../../web/openapi/openapi.json';
import { defineRoute, httpHandler, ok } from '../../lib/http/handler';

export const route = defineRoute({ endpoint: { method: 'GET', path: '/v1/openapi.json' }, auth: 'public' });

export const handler = httpHandler(route, async () => ok(document, { 'cache-control': 'public, max-age=300' }));
