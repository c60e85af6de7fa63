/**
 * `iiot check` as a user and a CI job run it: exit codes, --json documents, SARIF and JUnit files,
 * and one clear line for each kind of bad input.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type RunningBroker } from '../../src/protocols/mqtt/broker.js';
import { startPlant, type RunningPlant } from '../../src/sim/plant.js';
import { runCli } from '../helpers/cli.js';
import { validate } from '../helpers/json-schema.js';
import { closedPort } from '../helpers/net.js';
import { removeTempDirs, tempDir } from '../helpers/temp.js';

let broker: RunningBroker;
let plant: RunningPlant;
let modbus: string;

beforeAll(async () => {
  broker = await startBroker({ host: '127.0.0.1', port: 0 });
  plant = await startPlant({ opcua: false, mqtt: false, modbus: { port: 0 } });
  modbus = `${plant.endpoints.modbus!}?unit=3`;
}, 60_000);

afterAll(async () => {
  await broker?.stop();
  await plant?.stop();
  removeTempDirs();
});

const schema = JSON.parse(readFileSync(new URL('./fixtures/sarif-schema-2.1.0.json', import.meta.url), 'utf8')) as Record<string, unknown>;

describe('iiot check security (CLI)', () => {
  it('--fail-on sets the exit code; --json, --sarif and --junit describe the same findings', async () => {
    const dir = tempDir('cli-sec');
    const sarif = join(dir, 'out.sarif');
    const junit = join(dir, 'out.xml');
    const r = await runCli(['check', 'security', broker.url, modbus, '--json', '--sarif', sarif, '--junit', junit, '--fail-on', 'high']);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout) as {
      schema: string;
      failed: boolean;
      targets: Array<{ target: string; status: string; findings: Array<{ ruleId: string; severity: string }> }>;
    };
    expect(doc.schema).toBe('iiot.check.security/1');
    expect(doc.failed).toBe(true);
    expect(doc.targets.map((t) => t.status)).toEqual(['assessed', 'assessed']);
    expect(doc.targets[0]!.findings.map((f) => f.ruleId)).toContain('mqtt-anonymous');
    const log = JSON.parse(readFileSync(sarif, 'utf8')) as { runs: Array<{ results: Array<{ ruleId: string }> }> };
    expect(validate(schema, log)).toEqual([]);
    expect(log.runs[0]!.results.map((x) => x.ruleId).sort()).toEqual(doc.targets.flatMap((t) => t.findings.map((f) => f.ruleId)).sort());
    const xml = readFileSync(junit, 'utf8');
    expect(xml).toContain(`<testsuite name="${broker.url}"`);
    expect(xml).toMatch(/<failure message="high: a CONNECT without user name and password was accepted/);
    expect(r.stderr).toContain(`wrote SARIF ${sarif}, JUnit ${junit}`);

    const lenient = await runCli(['check', 'security', broker.url, '--fail-on', 'critical']);
    expect(lenient.code).toBe(0);
    expect(lenient.stdout).toContain('mqtt-anonymous');
    expect(lenient.stdout).toContain('passed: no findings at or above critical');
    const strict = await runCli(['check', 'security', modbus, '--fail-on', 'medium']);
    expect(strict.code).toBe(1);
  });

  it('an unreachable target is "not assessed" (exit 3), never a pass', async () => {
    const port = await closedPort();
    const r = await runCli(['check', 'security', `opc.tcp://127.0.0.1:${port}`, '--fail-on', 'none', '--timeout', '2s']);
    expect(r.code).toBe(3);
    expect(r.stdout).toContain('NOT ASSESSED');
    expect(r.stdout).not.toMatch(/passed/);
    expect(r.stderr).toMatch(/not assessed: nothing is listening at 127\.0\.0\.1:\d+/);
  });

  it('bad input: one clear line each, exit 2, nothing sent', async () => {
    const dir = tempDir('cli-bad');
    const inv = join(dir, 'inventory.json');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(inv, '{\n  "schema": "iiot.discover/1",\n  "devices": [\n    {"url": "mqtt://127.0.0.1:1883"},,\n  ]\n}\n');
    const cases: Array<[string[], RegExp]> = [
      [['check', 'security', broker.url, '--fail-on', 'severe'], /^iiot: error: --fail-on: unknown severity "severe"$/m],
      [
        ['check', 'security', '--inventory', inv],
        new RegExp(`^iiot: error: ${inv.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:4: not valid JSON`, 'm'),
      ],
      [
        ['check', 'security', 'tcp://127.0.0.1:22'],
        /^iiot: error: tcp:\/\/127\.0\.0\.1:22: tcp:\/\/ targets are for `iiot check latency` only$/m,
      ],
      [['check', 'security'], /^iiot: error: no target given$/m],
      [['check', 'latency', broker.url, '--max-p99', 'soon'], /^iiot: error: --max-p99: cannot read "soon" as a duration$/m],
      [['check', 'security', broker.url, '--password', 'x'], /^iiot: error: --password is refused/m],
    ];
    for (const [args, line] of cases) {
      const r = await runCli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(line);
      expect(r.stderr.split('\n').filter((l) => l.startsWith('iiot: error:'))).toHaveLength(1);
      expect(r.stdout).toBe('');
    }
  });

  it('help lists the options and examples', async () => {
    const sec = await runCli(['check', 'security', '--help']);
    expect(sec.code).toBe(0);
    for (const opt of [
      '--fail-on',
      '--sarif',
      '--junit',
      '--session',
      '--mqtt-sys',
      '--mqtt-wildcard',
      '--unit-sweep',
      '--audit-log',
      '--inventory',
      '--rate',
    ])
      expect(sec.stdout).toContain(opt);
    expect(sec.stdout).not.toContain('--password <password>');
    const lat = await runCli(['check', 'latency', '--help']);
    for (const opt of ['--count', '--interval', '--max-p99', '--max-loss', '--qos', '--register']) expect(lat.stdout).toContain(opt);
  });
});

describe('iiot check latency (CLI)', () => {
  it('--max-p99 0ms fails with exit 1, 10s passes; --json is iiot.check.latency/1', async () => {
    const fail = await runCli(['check', 'latency', modbus, '--count', '5', '--interval', '1ms', '--max-p99', '0ms']);
    expect(fail.code).toBe(1);
    expect(fail.stdout).toContain('FAIL  read: p99');
    const pass = await runCli([
      'check',
      'latency',
      modbus,
      broker.url,
      '--count',
      '5',
      '--interval',
      '1ms',
      '--max-p99',
      '10s',
      '--max-loss',
      '0',
      '--json',
    ]);
    expect(pass.code).toBe(0);
    const doc = JSON.parse(pass.stdout) as {
      schema: string;
      failed: boolean;
      targets: Array<{ target: string; series: Array<{ name: string; received: number; stats: { p99: number } | null }> }>;
    };
    expect(doc.schema).toBe('iiot.check.latency/1');
    expect(doc.failed).toBe(false);
    expect(doc.targets.map((t) => t.target)).toEqual([modbus, broker.url]);
    expect(doc.targets[1]!.series.map((s) => s.name)).toEqual(['tcp-connect', 'qos0', 'qos1', 'qos1-ack', 'qos2', 'qos2-ack']);
    expect(doc.targets[0]!.series.find((s) => s.name === 'read')!.received).toBe(5);
  });
});
