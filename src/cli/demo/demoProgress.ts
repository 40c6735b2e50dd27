import cliProgress from 'cli-progress';
import { count, seconds } from './textFormat.js';

/**
 * Progress of the demo's command run, on stderr: a live bar when stderr is a terminal, otherwise
 * a plain line at each quarter (logs and CI stay readable). `log` prints a line above the bar.
 *
 * @example
 * ```ts
 * const progress = createDemoProgress({ total: commands.length });
 * progress.update(done);
 * progress.log('  @1,204  ord-00042  shipped');
 * progress.stop();
 * ```
 */
export type DemoProgress = {
  /** Commands done so far; cheap enough to call for every result. */
  update(done: number): void;
  log(line: string): void;
  stop(): void;
};

/**
 * Options of {@link createDemoProgress}.
 *
 * @example
 * ```ts
 * const options: DemoProgressOptions = { total: 30_000, stream: process.stderr };
 * ```
 */
export type DemoProgressOptions = {
  readonly total: number;
  /** Default `process.stderr`. */
  readonly stream?: NodeJS.WriteStream;
};

const REDRAW_MS = 100;

/**
 * Creates the {@link DemoProgress} that suits the stream: a cli-progress bar on a TTY, plain lines
 * otherwise.
 *
 * @example
 * ```ts
 * const progress = createDemoProgress({ total: 30_000 });
 * ```
 */
export function createDemoProgress(options: DemoProgressOptions): DemoProgress {
  const stream = options.stream ?? process.stderr;
  const { total } = options;
  const started = performance.now();
  const rate = (done: number) => count(done / Math.max((performance.now() - started) / 1000, 1e-3));

  if (!stream.isTTY) {
    let milestone = 1;
    return {
      update(done) {
        while (milestone <= 4 && done >= (total * milestone) / 4) {
          stream.write(`  ${String(25 * milestone).padStart(3)}%  ${count(done)} of ${count(total)} commands, ${seconds(performance.now() - started)}\n`);
          milestone += 1;
        }
      },
      log: (line) => stream.write(`${line}\n`),
      stop() {},
    };
  }

  const bars = new cliProgress.MultiBar(
    {
      stream,
      format: '  {bar} {percentage}%  {value}/{total} commands  {rate}/s',
      formatValue: (v, _o, type) => (type === 'value' || type === 'total' ? count(v) : String(v)),
      barsize: 24,
      hideCursor: true,
      clearOnComplete: false,
      autopadding: true,
    },
    cliProgress.Presets.shades_classic,
  );
  const bar = bars.create(total, 0, { rate: '0' });
  let last = 0;
  return {
    update(done) {
      const now = performance.now();
      if (done < total && now - last < REDRAW_MS) return;
      last = now;
      bar.update(done, { rate: rate(done) });
    },
    log: (line) => bars.log(`${line}\n`),
    stop: () => bars.stop(),
  };
}
