import type { Command } from 'commander';
import { action, examples } from '../src/core/command.js';
import type { DemoFlags } from '../src/demo/options.js';

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
        const { parseDemoFlags } = await import('../src/demo/options.js');
        const options = parseDemoFlags(flags);
        const { runDemo } = await import('../src/demo/run.js');
        return runDemo(io, options);
      }),
    );
}
