/**
 * Preloaded (`node --require`) into serverless-offline by infra/local/offline.ts for
 * `npm run dev`. serverless-esbuild rebuilds the bundles when a file under functions/ or
 * lib/ changes and tells serverless-offline, which then drops its idle function instances;
 * but in-process (serverless.yml: useInProcess) a new instance `require`s the bundle again
 * and Node hands back the module it loaded first, so the old code kept answering until a
 * restart. Here the rebuilt bundles are dropped from Node's module cache first, so the next
 * invocation of each function loads the new code (a cold start: a new app, new
 * connections; the old instance's connections stay open until serverless-offline stops).
 */
const EsbuildPlugin = require(require.resolve('serverless-esbuild', { paths: [process.cwd()] }));

const notify = EsbuildPlugin.prototype.notifyServerlessOffline;
EsbuildPlugin.prototype.notifyServerlessOffline = function reloadThenNotify(...args) {
  for (const file of Object.keys(require.cache)) {
    if (this.buildDirPath && file.startsWith(this.buildDirPath)) delete require.cache[file];
  }
  return notify.apply(this, args);
};
