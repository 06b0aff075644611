/**
 * The OpenAPI document (web/openapi/openapi.json, which the web app's typed client is
 * generated from) is current with the handlers' routes, and covers exactly the routes
 * serverless.yml declares (and the local stage's infra/functions/local.yml).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildDocument, documentPath, projectDir, serialize } from '../../web/openapi/generate';

/** The httpApi events of serverless.yml and the local stage's extra functions. */
const declaredInServerlessYml = () =>
  ['serverless.yml', 'infra/functions/local.yml']
    .flatMap((file) => [...readFileSync(join(projectDir, file), 'utf8').matchAll(/httpApi:\s*\{\s*method:\s*(\w+),\s*path:\s*("[^"]+"|[^\s},]+)/g)])
    .map((m) => `${m[1]!.toUpperCase()} ${m[2]!.replace(/^"|"$/g, '')}`)
    .sort();

it('is what `npm run openapi` generates from the routes today', async () => {
  const doc = await buildDocument();
  expect(readFileSync(documentPath, 'utf8')).toBe(serialize(doc));
});

it('documents every route of serverless.yml and nothing else', async () => {
  const doc = await buildDocument();
  const documented = Object.entries(doc.paths)
    .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`))
    .sort();
  const declared = declaredInServerlessYml();
  expect(declared.length).toBeGreaterThan(10);
  expect(documented).toEqual(declared);
});
