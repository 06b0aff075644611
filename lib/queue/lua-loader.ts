/**
 * Lets `import x from './x.lua'` give the file's text everywhere the code runs:
 *   - deployed bundles: esbuild's text loader (serverless.yml custom.esbuild.loader);
 *   - jest: the transform in jest.config.js;
 *   - plain Node / tsx (npm start tooling, the benchmark): this CommonJS extension hook,
 *     registered before the scripts are imported. Elsewhere it registers nothing used.
 */
import { readFileSync } from 'node:fs';

const extensions = (typeof require === 'function' ? require.extensions : undefined) as NodeJS.RequireExtensions | undefined;
if (extensions && !extensions['.lua']) {
  extensions['.lua'] = (module, filename) => {
    module.exports = readFileSync(filename, 'utf8');
  };
}
