import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../src/cli.js';
import { helpRequest } from '../src/entry.js';
import { ROOT, runCli } from './helpers/cli.js';

function renderedByCommander(cmd: Command): string {
  let text = '';
  cmd.configureOutput({ writeOut: (s) => void (text += s) });
  cmd.outputHelp();
  return text;
}

function allCommands(cmd: Command, path: string[] = []): Array<[string[], Command]> {
  return [[path, cmd], ...cmd.commands.flatMap((c) => allCommands(c, [...path, c.name()]))];
}

describe('help rendered at build time', () => {
  const table = JSON.parse(readFileSync(`${ROOT}/dist/help.json`, 'utf8')) as Record<string, string>;

  it('is exactly what commander renders, for every command', () => {
    const commands = allCommands(buildProgram());
    expect(commands.length).toBeGreaterThan(15);
    for (const [path, cmd] of commands) {
      expect(table[path.join(' ')], path.join(' ')).toBe(renderedByCommander(cmd));
    }
  });

  it('answers only pure help requests', () => {
    expect(helpRequest(['--help'])).toBe('');
    expect(helpRequest(['-h'])).toBe('');
    expect(helpRequest(['capture', '--help'])).toBe('capture');
    expect(helpRequest(['help', 'check', 'latency'])).toBe('check latency');
    expect(helpRequest(['sim', '--json', '--help'])).toBeUndefined();
    expect(helpRequest(['sim'])).toBeUndefined();
    expect(table['nosuch']).toBeUndefined();
  });

  it('is what the binary prints', async () => {
    const r = await runCli(['check', 'security', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(table['check security']);
  });
});
