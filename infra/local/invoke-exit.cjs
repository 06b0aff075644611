/**
 * Preloaded (`node --require`) into `serverless invoke local` by infra/local/invoke.ts.
 * Lambda ends an invocation once the handler has answered, whatever the handler left open
 * (the Redis connection of a warm container is kept on purpose). `serverless invoke local`
 * instead waits until nothing keeps Node's event loop busy, so a function that talked to
 * Redis printed its result and then never exited. This ends the process shortly after the
 * command is done, with the exit code serverless set (1 when the handler failed).
 */
const Serverless = require(require.resolve('serverless/lib/serverless.js', { paths: [process.cwd()] }));

const run = Serverless.prototype.run;
Serverless.prototype.run = function runThenExit(...args) {
  // Time for serverless to print its summary or error first; unref: never delays a clean exit.
  const exitSoon = () => setTimeout(() => process.exit(), 250).unref();
  return run.apply(this, args).then(
    (value) => {
      exitSoon();
      return value;
    },
    (err) => {
      exitSoon();
      throw err;
    },
  );
};
