/**
 * The web app's build. `npm run web:build` writes web/dist; `npm start` and the browser
 * tests serve it with `vite preview` (infra/local/web.ts), which proxies /v1 to the API
 * (API_URL, default http://127.0.0.1:3000), so the page and the API share an origin.
 * VITE_API_URL: an API base URL baked in at build time for a deployed stage (the API's
 * CORS allows any origin); empty means same origin.
 * `npm run web:dev` runs Vite's dev server with the same /v1 proxy.
 */
import { defineConfig } from 'vite';

const proxy = { '/v1': { target: process.env.API_URL ?? 'http://127.0.0.1:3000', changeOrigin: true } };

export default defineConfig({
  root: __dirname,
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true },
  server: { host: '127.0.0.1', port: Number(process.env.WEB_PORT ?? 8080), strictPort: true, proxy },
  preview: { host: '127.0.0.1', port: Number(process.env.WEB_PORT ?? 8080), strictPort: true, proxy },
});
