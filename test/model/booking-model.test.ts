/**
 * The short form of the randomized model test (test/model/booking-model.ts) in `npm
 * test`: about 1,500 operations in generated sequences, with the fault layer on, in
 * parallel runners (each its own concerts and users). The long form:
 * `npm run test:model -- --ops 100000`. MODEL_SEED=<seed> repeats a run.
 */
import { runSequences } from './booking-model';
import { MODEL_FAULTS, modelContext } from './setup';
import { quietLogs } from '../support/quiet-logs';

quietLogs(); // injected faults log warnings

const seed = Number(process.env.MODEL_SEED ?? Math.floor(Math.random() * 2 ** 31));
const RUNNERS = 12;

it('agrees with the model over generated sequences of every operation, with faults injected', async () => {
  console.log(`[model] seed ${seed} (MODEL_SEED=${seed} repeats it)`);
  const contexts = await Promise.all(Array.from({ length: RUNNERS }, (_, i) => modelContext(seed + i)));
  try {
    for (const c of contexts) c.faults.enable(MODEL_FAULTS);
    // A failing sequence is shrunk for at most two minutes; the smallest one found is reported.
    await Promise.all(contexts.map((c, i) => runSequences(c, { numRuns: 12, maxCommands: 30, seed: seed + i * 100_003, timeLimitMs: 120_000 })));
    const sum = (f: (c: (typeof contexts)[number]) => number) => contexts.reduce((n, c) => n + f(c), 0);
    const ops = sum((c) => c.stats.operations);
    const faults = sum((c) => c.faults.total);
    console.log(`[model] ${ops} operations in ${sum((c) => c.stats.sequences)} sequences, ${sum((c) => c.stats.invariantChecks)} invariant checks passed, ${faults} faults injected`);
    expect(ops).toBeGreaterThan(500);
    expect(faults).toBeGreaterThan(0);
  } finally {
    await Promise.all(contexts.map((c) => c.close()));
  }
}, 300_000);
