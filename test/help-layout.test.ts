import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli } from './helpers/cli.js';

const help = JSON.parse(readFileSync(join(ROOT, 'dist', 'help.json'), 'utf8')) as Record<string, string>;

/** The option names listed under a heading of a help text, up to the next heading. */
function group(text: string, heading: string): string[] {
  const start = text.indexOf(`\n${heading}\n`);
  if (start < 0) return [];
  const body = text.slice(start + heading.length + 2).split(/\n(?=\S)/)[0]!;
  return [...body.matchAll(/^ {2}(?:-\w, )?(--[\w-]+)/gm)].map((m) => m[1]!);
}

describe('record --help: options grouped by what they belong to', () => {
  it('the usage line shows that options after a source belong to it', async () => {
    const r = await runCli(['record', '--help']);
    expect(r.stdout.split('\n')[0]).toBe('Usage: iiot record -o FILE [run options] SOURCE [its options] [SOURCE [its options]...]');
  });

  it('one group per protocol, the output and the run apart', () => {
    const text = help.record!;
    const headings = [...text.matchAll(/^(\S[^\n]*):$/gm)].map((m) => m[1]);
    expect(headings).toEqual(
      [
        'Usage',
        'Arguments',
        'Output',
        'Run',
        'Any source (before the first source: for every source they fit)',
        'OPC UA (after opc.tcp://...)',
        'Modbus (after modbus://... or modbus-rtu://...)',
        'MQTT (after mqtt://... or mqtts://...)',
        'Options',
        'Examples',
      ].filter((h) => h !== 'Usage'),
    );
    expect(group(text, 'Output:')).toEqual(['--output', '--force', '--rotate-size', '--rotate-every', '--flush-interval', '--metadata']);
    expect(group(text, 'OPC UA (after opc.tcp://...):')).toEqual(
      expect.arrayContaining(['--node', '--subtree', '--tags', '--poll', '--history', '--security-mode', '--trust-on-first-use']),
    );
    expect(group(text, 'Modbus (after modbus://... or modbus-rtu://...):')).toEqual([
      '--map',
      '--registers',
      '--interval',
      '--max-gap',
      '--max-registers',
    ]);
    expect(group(text, 'MQTT (after mqtt://... or mqtts://...):')).toEqual([
      '--topic',
      '--decoder',
      '--json-path',
      '--raw',
      '--qos',
      '--client-id',
      '--ca',
      '--cert',
      '--key',
    ]);
    // nothing of a protocol is left among the general options
    expect(group(text, 'Options:')).toEqual(['--help']);
  });
});

describe('every command and group has examples in its --help', () => {
  it('check --help shows how to run both checks', async () => {
    const r = await runCli(['check', '--help']);
    expect(r.stdout).toContain('Examples:');
    expect(r.stdout).toMatch(/\$ iiot check latency opc\.tcp:\/\/127\.0\.0\.1:4840 .*--max-p99/);
    expect(r.stdout).toMatch(/\$ iiot check security /);
  });

  it('all of them', () => {
    const without = Object.entries(help)
      .filter(([, text]) => !text.includes('\nExamples:\n'))
      .map(([command]) => `iiot ${command} --help`);
    expect(without).toEqual([]);
  });
});
