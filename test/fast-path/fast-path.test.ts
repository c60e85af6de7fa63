import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Command } from 'commander';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { register as registerCapture } from '../../commands/capture.js';
import { buildProgram } from '../../src/cli.js';
import { parseFast, type FastParse } from '../../src/fast-path/parse.js';
import { record } from '../../src/fast-path/recorder.js';
import { runFast } from '../../src/fast-path/run.js';
import { describeCommands, type ArgvTable } from '../../src/fast-path/table.js';
import { createProgram, type Register } from '../../src/program.js';
import { ROOT } from '../helpers/cli.js';
import { removeTempDirs, tempDir } from '../helpers/temp.js';

/**
 * The fast path runs a plain command line without commander. Commander is the reference: for
 * every command line the fast path takes, commander (the same program, the same command module)
 * must run the same command with the same arguments and the same options.
 */

const table = describeCommands(buildProgram());
const recorded = record(registerCapture)!;
const parserOf = (path: string, flags: string) => recorded.get(path)?.options.find((o) => o.flags === flags)?.parser;
const fast = (args: string[]) => parseFast(table, args, parserOf);

const STOP = new Error('stop before the action');

function silence(cmd: Command): void {
  cmd.configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
  for (const sub of cmd.commands) silence(sub);
}

/** What commander hands the action for this command line, or the code of the error it reports. */
async function viaCommander(args: string[]): Promise<(Omit<FastParse, 'opts'> & { opts: unknown }) | string> {
  const program = createProgram([registerCapture]);
  silence(program);
  let seen: (Omit<FastParse, 'opts'> & { opts: unknown }) | undefined;
  program.hook('preAction', (_root, action) => {
    const names: string[] = [];
    for (let c: Command | null = action; c?.parent; c = c.parent) names.unshift(c.name());
    seen = { path: names.join(' '), args: action.processedArgs, opts: action.opts(), globals: action.optsWithGlobals() };
    throw STOP;
  });
  try {
    await program.parseAsync(['node', 'iiot', ...args]);
    return 'no action';
  } catch (err) {
    if (err === STOP) return seen!;
    return `error ${(err as { code?: string }).code ?? String(err)}`;
  }
}

const same = (a: unknown, b: unknown) => expect(JSON.stringify(a)).toBe(JSON.stringify(b));

describe('the fast path table', () => {
  it('is what the build wrote into dist/argv.json', () => {
    same(JSON.parse(readFileSync(`${ROOT}/dist/argv.json`, 'utf8')), table);
  });

  it('describes every capture command, and the root flags', () => {
    expect(Object.keys(table.commands)).toEqual([
      'capture',
      'capture info',
      'capture validate',
      'capture convert',
      'capture slice',
      'capture diff',
      'capture import',
    ]);
    expect(table.root.options.map((o) => o.flags)).toEqual(['--json', '-q, --quiet', '--no-color', '--debug']);
    expect(table.commands['capture validate']!.defaults).toEqual({ maxIssues: '100' });
  });

  it('matches what commands/capture.ts registers, recorded without commander', () => {
    for (const [path, spec] of Object.entries(table.commands)) {
      const own = recorded.get(path)!;
      expect(
        own.options.map((o) => o.flags),
        path,
      ).toEqual(spec.options.map((o) => o.flags));
      expect(own.args, path).toEqual(spec.args.map((a) => a.usage));
      expect(own.action !== undefined, path).toBe(spec.subcommands.length === 0);
    }
  });
});

describe('parsing a plain command line', () => {
  it('gives what commander gives', async () => {
    const lines = [
      ['capture', 'validate', 'plant.jsonl'],
      ['capture', 'validate', 'a.jsonl', 'b.jsonl', '--strict', '--json', '--max-issues', '5'],
      ['--json', 'capture', 'info', 'plant.jsonl.gz', '--gap=5s', '-q', '--all-parts'],
      ['capture', '--no-color', 'info', '--gap-factor', '4', 'x.jsonl', '--debug'],
      ['capture', 'convert', 'in.jsonl', '-o', 'out.csv', '--tags', 'a*,b', '--tags', 'c', '--no-decimal-comma'],
      ['capture', 'slice', 'in.jsonl', '--output=out.jsonl', '--from', '2026-11-25 06:00', '--tz', 'Europe/Madrid'],
      ['capture', 'diff', 'a.jsonl', 'b.jsonl', '--tolerance', '0.1%', '--tag-tolerance', 'x=1', '--tag-tolerance', 'y=2'],
      ['capture', 'import', 'h.csv', '-o', 'h.jsonl', '--unit', 'a=kW', '--delimiter', ';'],
      ['capture', 'validate', ''],
    ];
    for (const args of lines) {
      const mine = fast(args);
      expect(mine, args.join(' ')).toBeDefined();
      const ref = await viaCommander(args);
      same({ ...mine, opts: mine!.opts }, ref);
    }
  });

  it('leaves to commander what is not plain', () => {
    for (const args of [
      [],
      ['capture'],
      ['capture', 'info'], // a required argument missing
      ['capture', 'infoo', 'x.jsonl'],
      ['capture', 'help', 'info'],
      ['capture', 'info', 'x.jsonl', '--help'],
      ['capture', 'info', '-h', 'x.jsonl'],
      ['--version'],
      ['capture', 'info', 'x.jsonl', '-qj'],
      ['capture', 'info', 'x.jsonl', '--bogus'],
      ['capture', 'info', 'x.jsonl', '--gap'],
      ['capture', 'info', 'x.jsonl', '--gap', '-5s'],
      ['capture', 'info', 'x.jsonl', '--gap', '--json'],
      ['capture', 'info', '--', '-x.jsonl'],
      ['capture', 'info', '-'],
      ['capture', 'info', 'x.jsonl', '--strict=yes'],
      ['capture', '--strict', 'info', 'x.jsonl'],
      ['capture', 'diff', 'a', 'b', 'c'],
      ['capture', 'convert', 'x.jsonl'], // -o is required
      ['sim', '--generate'],
    ]) {
      expect(fast(args), args.join(' ')).toBeUndefined();
    }
  });

  it('agrees with commander on generated command lines', async () => {
    const subs = Object.keys(table.commands)
      .filter((p) => p !== 'capture')
      .map((p) => p.split(' ')[1]!);
    const value = fc.constantFrom('5', '0', 'x.jsonl', '', '-1', '--json', 'capture', 'help', 'a=b', '1%', '2026-11-25T10:00:00Z');
    const word = (sub: string) => {
      const spec = table.commands[`capture ${sub}`]!;
      const flags = spec.options.flatMap((o) => [o.long, o.short].filter((f) => f !== undefined).map((f) => ({ f: f!, value: o.value })));
      return fc.oneof(
        { weight: 4, arbitrary: fc.constantFrom('a.jsonl', 'b.jsonl', 'help', 'info', '-', 'x y') },
        {
          weight: 6,
          arbitrary: fc
            .tuple(fc.constantFrom(...flags), value, fc.boolean())
            .map(([o, v, eq]) => (!o.value ? [o.f] : eq && o.f.startsWith('--') ? [`${o.f}=${v}`] : [o.f, v])),
        },
        { weight: 2, arbitrary: fc.constantFrom('--json', '-q', '--quiet', '--no-color', '--debug') },
        { weight: 1, arbitrary: fc.constantFrom('--', '-h', '--help', '-V', '-qj', '--bogus', '--strict=1', '--color') },
      );
    };
    const line = fc.constantFrom(...subs).chain((sub) =>
      fc
        .tuple(fc.array(fc.constantFrom('--json', '-q', '--debug'), { maxLength: 1 }), fc.array(word(sub), { maxLength: 6 }), fc.nat(20))
        .map(([pre, words, shape]) => {
          const rest = words.flat();
          // now and then the command names out of place
          if (shape === 0) return [...pre, 'capture', ...rest];
          if (shape === 1) return [...pre, sub, 'capture', ...rest];
          if (shape === 2) return ['capture', ...rest.slice(0, 1), sub, ...rest.slice(1)];
          return [...pre, 'capture', sub, ...rest];
        }),
    );
    let taken = 0;
    await fc.assert(
      fc.asyncProperty(line, async (args) => {
        const mine = fast(args);
        if (mine === undefined) return;
        taken++;
        same(mine, await viaCommander(args));
      }),
      { numRuns: 1500 },
    );
    expect(taken).toBeGreaterThan(100); // the property is about the lines the fast path takes: enough are
  });
});

describe('runFast', () => {
  const dir = tempDir('fast-path');
  afterAll(removeTempDirs);
  const calls: unknown[][] = [];
  const registerDemo: Register = (program) => {
    program
      .command('demo')
      .argument('<file...>', 'files')
      .option('--level <n>', 'a level', '3')
      .option('--tag <t>', 'repeatable', (v: string, prev: string[] = []) => [...prev, v])
      .action((...args: unknown[]) => void calls.push(args));
  };
  const tableOf = (register: Register): URL => {
    const file = join(dir, `argv-${calls.length}-${Math.random()}.json`);
    writeFileSync(file, JSON.stringify(describeCommands(createProgram([register]), ['demo']) satisfies ArgvTable));
    return pathToFileURL(file);
  };

  it('runs the action as commander would call it', async () => {
    calls.length = 0;
    expect(
      await runFast(['node', 'iiot', 'demo', 'a', '--tag', 'x', '--json', 'b', '--tag', 'y'], registerDemo, tableOf(registerDemo)),
    ).toBe(true);
    expect(calls).toHaveLength(1);
    const [files, opts, cmd] = calls[0] as [string[], Record<string, unknown>, { optsWithGlobals(): unknown; name(): string }];
    expect(files).toEqual(['a', 'b']);
    expect(opts).toEqual({ level: '3', tag: ['x', 'y'] });
    expect(cmd.optsWithGlobals()).toEqual({ level: '3', tag: ['x', 'y'], color: true, json: true }); // --no-color's default: true
    expect(cmd.name()).toBe('demo');
  });

  it('does nothing and says so when commander must run it', async () => {
    calls.length = 0;
    const url = tableOf(registerDemo);
    expect(await runFast(['node', 'iiot', 'demo', 'a', '--level'], registerDemo, url)).toBe(false);
    expect(await runFast(['node', 'iiot', 'demo', 'a'], registerDemo, pathToFileURL(join(dir, 'missing.json')))).toBe(false);
    // the module registers something other than the table says (a stale table): commander
    const changed: Register = (program) =>
      void program
        .command('demo')
        .argument('<file...>', 'files')
        .option('--level <n>', 'a level', '4')
        .option('--other')
        .action(() => undefined);
    expect(await runFast(['node', 'iiot', 'demo', 'a'], changed, url)).toBe(false);
    // a module that declares options the recorder cannot follow
    const unusual: Register = (program) =>
      void program
        .command('demo')
        .alias('d')
        .action(() => undefined);
    expect(await runFast(['node', 'iiot', 'demo', 'a'], unusual, url)).toBe(false);
    expect(calls).toHaveLength(0);
  });
});
