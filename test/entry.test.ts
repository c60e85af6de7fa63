import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../src/cli.js';
import { COMMANDS, commandNamed } from '../src/entry.js';
import { createProgram } from '../src/program.js';

/**
 * A command line that names a command registers only that command (src/entry.ts). Commander must
 * see the same command there as in the whole table: the same help, the same parse, the same errors.
 */

function helpOf(cmd: Command): string {
  let text = '';
  cmd.configureOutput({ writeOut: (s) => void (text += s) });
  cmd.outputHelp();
  return text;
}

function subtree(cmd: Command, path: string[] = []): Array<[string, Command]> {
  return [[path.join(' '), cmd], ...cmd.commands.flatMap((c) => subtree(c, [...path, c.name()]))];
}

const STOP = new Error('stop before the action');

/** What the action would get, or the error commander reports (code and text), for this program. */
async function parse(program: Command, args: string[]): Promise<string> {
  let errors = '';
  for (const [, c] of subtree(program)) c.configureOutput({ writeOut: () => undefined, writeErr: (s) => void (errors += s) });
  let seen = '';
  program.hook('preAction', (_root, action) => {
    seen = JSON.stringify({ name: action.name(), args: action.processedArgs, opts: action.optsWithGlobals() });
    throw STOP;
  });
  try {
    await program.parseAsync(['node', 'iiot', ...args]);
    return 'no action';
  } catch (err) {
    return err === STOP ? seen : `${(err as { code?: string }).code}: ${errors}`;
  }
}

describe('one command on the root', () => {
  const whole = buildProgram();

  it('covers every command of the whole table', () => {
    expect(Object.keys(COMMANDS)).toEqual(whole.commands.map((c) => c.name()).filter((n) => n !== 'help'));
  });

  it('gives each command the same help as the whole table, at every level', async () => {
    for (const [name, load] of Object.entries(COMMANDS)) {
      const single = createProgram([await load()]);
      expect(single.commands.map((c) => c.name())).toEqual([name]);
      const mine = subtree(single.commands[0]!, [name]);
      const theirs = subtree(whole.commands.find((c) => c.name() === name)!, [name]);
      expect(mine.map(([p]) => p)).toEqual(theirs.map(([p]) => p));
      for (const [i, [path, cmd]] of mine.entries()) expect(helpOf(cmd), path).toBe(helpOf(theirs[i]![1]));
    }
  });

  it('parses and refuses command lines as the whole table does', async () => {
    for (const args of [
      ['capture', 'info', 'x.jsonl', '--gap', '5s', '--json'],
      ['--quiet', 'sim', '--generate', '--days', '2', '-o', 'p.jsonl'],
      ['sim', '--bogus'],
      ['capture', 'infoo'],
      ['capture', 'info'],
      ['capture', 'info', 'x', '--jsn'],
      ['check', 'latency', 'modbus://127.0.0.1:1502', '--count', 'x'],
      ['analyze', 'energy', 'x.jsonl', '--tariff'],
      ['record', 'modbus://127.0.0.1:1502', '-o', 'r.jsonl', '--tags', 'hr:0'],
    ]) {
      const name = commandNamed(args)!;
      expect(name, args.join(' ')).toBeDefined();
      expect(await parse(createProgram([await COMMANDS[name]!()]), args), args.join(' ')).toBe(await parse(buildProgram(), args));
    }
  });
});

describe('commandNamed', () => {
  it('finds the command after root flags, and nothing else', () => {
    expect(commandNamed(['capture', 'info', 'x'])).toBe('capture');
    expect(commandNamed(['--json', '-q', '--no-color', '--debug', 'sim'])).toBe('sim');
    expect(commandNamed([])).toBeUndefined();
    expect(commandNamed(['bogus'])).toBeUndefined();
    expect(commandNamed(['help', 'capture'])).toBeUndefined();
    expect(commandNamed(['-qj', 'capture'])).toBeUndefined();
    expect(commandNamed(['--', 'capture'])).toBeUndefined();
    expect(commandNamed(['--version'])).toBeUndefined();
    expect(commandNamed(['toString'])).toBeUndefined();
  });
});
