/** Progress bars for the long phases (cli-progress), quiet when stdout is not a terminal. */
import { SingleBar, Presets } from 'cli-progress';

export interface Progress {
  update: (value: number) => void;
  stop: () => void;
}

export function progress(label: string, total: number): Progress {
  const bar = new SingleBar(
    { format: `  ${label.padEnd(38)} [{bar}] {percentage}% | {value}/{total}`, hideCursor: true, noTTYOutput: !process.stdout.isTTY, notTTYSchedule: 5000 },
    Presets.shades_classic,
  );
  bar.start(Math.round(total), 0);
  return {
    update: (v) => bar.update(Math.round(Math.min(v, total))),
    stop: () => {
      bar.update(Math.round(total));
      bar.stop();
    },
  };
}
