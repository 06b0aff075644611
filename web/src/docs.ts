/**
 * /docs: the API reference, Swagger UI (swagger-ui-dist's bundle and stylesheet, built
 * into this page by Vite) over the document the API itself serves at GET /v1/openapi.json.
 */
import SwaggerUIBundle from 'swagger-ui-dist/swagger-ui-bundle.js';
import 'swagger-ui-dist/swagger-ui.css';

const base = (import.meta.env.VITE_API_URL as string | undefined) ?? '';

SwaggerUIBundle({ url: `${base}/v1/openapi.json`, dom_id: '#swagger-ui', deepLinking: true });
