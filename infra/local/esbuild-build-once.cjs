/**
 * Preloaded (`node --require`) into serverless-offline by infra/local/offline.ts for
 * `npm start` and the tests (not `npm run dev`: esbuild-reload.cjs). serverless-esbuild
 * keeps one incremental esbuild context per function for its file watcher, and esbuild's
 * Go service process keeps the memory of the start-up builds: together about 1.4 GB
 * resident for this service's functions, for as long as serverless-offline ran. Here:
 *  - the esbuild module serverless-esbuild sees has no `context`, so it bundles each
 *    function with a one-shot `esbuild.build()` (its own fallback, the call its
 *    `skipRebuild` option makes);
 *  - at most ESBUILD_BUILDS_AT_ONCE (4) builds run at a time (it starts all at once);
 *  - once no build has run for a moment, esbuild's service process is stopped
 *    (`esbuild.stop()`; a later build would start a new one);
 *  - serverless-esbuild's file watcher is not started: a changed file would be rebuilt
 *    for nothing, as serverless-offline's in-process functions keep the code they loaded.
 * serverless.yml's custom.esbuild `skipRebuild: true` would do the first part; this keeps
 * that file the same for every stage and lets `npm run dev` keep incremental rebuilds.
 *
 * If a later serverless-esbuild stops falling back to build(), bundling fails at start-up
 * (serverless-offline exits and `npm start` shows its output): it never half-works.
 */
const { dirname } = require('node:path');

const pluginDir = dirname(require.resolve('serverless-esbuild/package.json', { paths: [process.cwd()] }));
const esbuildPath = require.resolve('esbuild', { paths: [pluginDir] });
const esbuild = require(esbuildPath);

const atOnce = Math.max(1, Number(process.env.ESBUILD_BUILDS_AT_ONCE || 4));
const IDLE_MS = 1_000;
let running = 0;
const waiting = [];
let idleTimer;

async function build(options) {
  clearTimeout(idleTimer);
  if (running >= atOnce) await new Promise((resolve) => waiting.push(resolve));
  running++;
  try {
    return await esbuild.build(options);
  } finally {
    running--;
    const next = waiting.shift();
    if (next) next();
    else if (running === 0) idleTimer = setTimeout(() => void esbuild.stop(), IDLE_MS).unref();
  }
}

// esbuild's exports are getters: copy their values, leave `context` out.
const { context: _incremental, ...oneShot } = esbuild;
require.cache[esbuildPath].exports = { ...oneShot, build };

// Only now: the plugin takes the esbuild module it sees when it is loaded.
const EsbuildPlugin = require(require.resolve('serverless-esbuild', { paths: [process.cwd()] }));
EsbuildPlugin.prototype.watch = function noWatcher() {};
