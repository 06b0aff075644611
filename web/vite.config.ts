/**
 * The web app's build. `npm run web:build` writes web/dist; `npm start` and the browser
 * tests serve it with `vite preview` (infra/local/web.ts), which proxies /v1 to the API
 * (API_URL, default http://127.0.0.1:3000), so the page and the API share an origin.
 * VITE_API_URL: an API base URL baked in at build time for a deployed stage (the API's
 * CORS allows any origin); empty means same origin.
 * `npm run web:dev` runs Vite's dev server with the same /v1 proxy.
 * Two pages: the app (index.html) and the API reference at /docs (docs.html: Swagger UI
 * from swagger-ui-dist over GET /v1/openapi.json; both servers answer /docs with docs.html).
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vite';

const proxy = { '/v1': { target: process.env.API_URL ?? 'http://127.0.0.1:3000', changeOrigin: true } };
const port = Number(process.env.WEB_PORT ?? 8080);

export default defineConfig(({ isPreview }) => ({
  root: __dirname,
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
    rolldownOptions: { input: { main: join(__dirname, 'index.html'), docs: join(__dirname, 'docs.html') } },
    // The /docs page's script is Swagger UI's bundle (about 1.5 MB); the app's own stays small.
    chunkSizeWarningLimit: 2000,
  },
  server: { host: '127.0.0.1', port, strictPort: true, proxy },
  preview: { host: '127.0.0.1', port, strictPort: true, proxy },
  // Vite keeps one lock per project and command in its cache directory, so a second
  // `vite preview` of this project refuses to start even on another port. Preview servers
  // on different ports (`npm start`, browser test files running in parallel) each get
  // their own, in the temp directory (preview keeps nothing else there); the port itself
  // stays exclusive.
  ...(isPreview ? { cacheDir: join(tmpdir(), `concert-ticketing-vite-preview-${port}`) } : {}),
}));
