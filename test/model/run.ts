/**
 * `npm run test:model -- --ops 100000`: the randomized model test (booking-model.ts) at
 * volume. Starts its own embedded stack (Redis, DynamoDB Local, SQS emulator; no HTTP
 * server, the handlers run in-process), runs generated sequences in --parallel runners
 * (each its own concerts and users) until --ops operations have run, with the fault layer
 * on (--no-faults to switch it off), and reports operations, sequences, invariant checks
 * passed and faults injected; writes the figures to bench-results/model/latest.json.
 * --seed repeats a run; --no-shrink reports the first failing sequence as it is.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { freePort } from '../../infra/local/processes';
import { projectDir, startStack } from '../../infra/local/stack';
import { runSequences } from './booking-model';
import { MODEL_FAULTS, modelContext } from './setup';

const { values: args } = parseArgs({
  options: {
    ops: { type: 'string', default: '10000' },
    parallel: { type: 'string', default: '32' },
    seed: { type: 'string' },
    'max-commands': { type: 'string', default: '40' },
    'no-faults': { type: 'boolean', default: false },
    'no-shrink': { type: 'boolean', default: false },
  },
});

async function main() {
  const target = Number(args.ops);
  const parallel = Number(args.parallel);
  const seed = Number(args.seed ?? Math.floor(Math.random() * 2 ** 31));
  const maxCommands = Number(args['max-commands']);
  console.log(`model: seed ${seed} (--seed ${seed} repeats it), ${parallel} runners, target ${target} operations, faults ${args['no-faults'] ? 'off' : 'on'}`);
  const stack = await startStack({ stage: 'test', backend: 'embedded', httpPort: await freePort(), offline: false, env: { LOG_LEVEL: 'ERROR' } });
  Object.assign(process.env, stack.env);
  const started = Date.now();
  const contexts = await Promise.all(Array.from({ length: parallel }, (_, i) => modelContext(seed + i)));
  const total = () => contexts.reduce((n, c) => n + c.stats.operations, 0);
  const progress = setInterval(() => console.log(`model: ${total()} operations, ${((Date.now() - started) / 1000).toFixed(0)} s`), 30_000);
  let failure: unknown;
  try {
    await Promise.all(
      contexts.map(async (ctx, i) => {
        if (!args['no-faults']) ctx.faults.enable(MODEL_FAULTS);
        let round = 0;
        while (total() < target && !failure) {
          try {
            await runSequences(ctx, { numRuns: 10, maxCommands, seed: seed + i * 100_003 + round++, shrink: !args['no-shrink'] });
          } catch (err) {
            failure ??= err;
          }
        }
      }),
    );
  } finally {
    clearInterval(progress);
  }
  const sum = (f: (c: (typeof contexts)[number]) => number) => contexts.reduce((n, c) => n + f(c), 0);
  const injected: Record<string, number> = {};
  for (const c of contexts) for (const [k, v] of Object.entries(c.faults.injected)) injected[k] = (injected[k] ?? 0) + v;
  const report = {
    command: `npm run test:model -- ${process.argv.slice(2).join(' ')}`.trim(),
    seed,
    passed: !failure,
    operations: total(),
    sequences: sum((c) => c.stats.sequences),
    invariantChecksPassed: sum((c) => c.stats.invariantChecks),
    outcomesAtHoldExpiry: sum((c) => c.stats.edgeOutcomes),
    faultsInjected: Object.values(injected).reduce((a, b) => a + b, 0),
    faults: injected,
    deliveries: contexts.reduce<Record<string, number>>((acc, c) => {
      for (const [k, v] of Object.entries(c.poller.stats)) acc[k] = (acc[k] ?? 0) + v;
      return acc;
    }, {}),
    seconds: Math.round((Date.now() - started) / 1000),
  };
  for (const c of contexts) await c.close();
  await stack.stop();
  console.log(JSON.stringify(report, null, 2));
  const dir = join(projectDir, 'bench-results', 'model');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'latest.json'), JSON.stringify(report, null, 2) + '\n');
  if (failure) {
    console.error(failure instanceof Error ? failure.message : failure);
    process.exit(1);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
