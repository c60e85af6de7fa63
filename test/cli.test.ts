import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';

describe('the iiot binary', () => {
  it('lists every command of the design in --help', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    for (const cmd of ['discover', 'browse', 'read', 'record', 'replay', 'capture', 'analyze', 'check', 'pki', 'sim', 'demo']) {
      expect(r.stdout).toMatch(new RegExp(`^  ${cmd}\\b`, 'm'));
    }
    expect(r.stdout).toContain('Examples:');
  });

  it('gives every command a summary, a description and examples', async () => {
    for (const cmd of [
      ['discover'],
      ['browse'],
      ['read'],
      ['record'],
      ['replay'],
      ['capture'],
      ['analyze', 'energy'],
      ['check', 'latency'],
      ['pki', 'show'],
      ['sim'],
      ['demo'],
    ]) {
      const r = await runCli([...cmd, '--help']);
      expect(r.code, cmd.join(' ')).toBe(0);
      expect(r.stdout, cmd.join(' ')).toMatch(/Examples:\n  \$ iiot /);
    }
  });

  it('treats an unknown command or option as a usage error (exit 2) with a hint', async () => {
    const cmd = await runCli(['bogus']);
    expect(cmd.code).toBe(2);
    expect(cmd.stderr).toMatch(/^iiot: error: unknown command 'bogus'/);
    const opt = await runCli(['sim', '--bogus']);
    expect(opt.code).toBe(2);
    expect(opt.stderr).toContain("unknown option '--bogus'");
    expect(opt.stderr).toContain('iiot sim --help');
    expect(opt.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('prints its version', async () => {
    const r = await runCli(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('refuses to run on an old Node with one line naming the required version', async () => {
    const { spawnSync } = await import('node:child_process');
    const { BIN } = await import('./helpers/cli.js');
    // Simulate an old Node by overriding process.versions before the bin runs.
    const r = spawnSync(
      process.execPath,
      ['--import', 'data:text/javascript,Object.defineProperty(process.versions,"node",{value:"20.11.0"})', BIN, '--help'],
      { encoding: 'utf8' },
    );
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/Node\.js 22\.13 or newer is required/);
  });
});
