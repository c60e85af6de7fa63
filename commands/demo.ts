import type { Command } from 'commander';
import { action, examples } from '../src/core/command.js';
import { usageError } from '../src/core/errors.js';

interface DemoFlags {
  keep?: string;
  days?: string;
}

export function register(program: Command): void {
  program
    .command('demo')
    .summary('the whole commissioning workflow against the embedded plant, in under a minute')
    .description(
      'Starts the simulated plant in-process on 127.0.0.1 (free ports, nothing leaves the machine), shows what is there, and analyses generated plant history for bearing degradation and energy; the summary ends with the commands to try next. Every step runs the same code as the command it stands for.',
    )
    .option('--keep <dir>', 'keep the files the demo writes (capture, certificates) in this folder')
    .option('--days <n>', 'days of plant history to generate for the analyses', '21')
    .addHelpText('after', examples('iiot demo', 'iiot demo --json > demo.json', 'iiot demo --keep ./demo-out'))
    .action(
      action<DemoFlags>(async (io, flags) => {
        const days = Number(flags.days ?? '21');
        if (!Number.isFinite(days) || days < 1 || days > 365) throw usageError(`--days ${flags.days}: give a number of days from 1 to 365`);
        const { runDemo } = await import('../src/demo/run.js');
        return runDemo(io, { days, ...(flags.keep ? { keep: flags.keep } : {}) });
      }),
    );
}
