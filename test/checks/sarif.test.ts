import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/core/exit-codes.js';
import { finding } from '../../src/checks/security/judge.js';
import { toJunit } from '../../src/checks/security/junit.js';
import { RULES } from '../../src/checks/security/rules.js';
import type { SecurityResult } from '../../src/checks/security/result.js';
import { fingerprint, syntheticPath, toSarif } from '../../src/checks/security/sarif.js';
import { validate } from '../helpers/json-schema.js';

const schema = JSON.parse(readFileSync(new URL('./fixtures/sarif-schema-2.1.0.json', import.meta.url), 'utf8')) as Record<string, unknown>;

const OPC = 'opc.tcp://127.0.0.1:4840';
const MB = 'modbus://127.0.0.1:5020?unit=1';
const MQ = 'mqtt://127.0.0.1:1883';
const DEAD = 'mqtts://127.0.0.1:8883';

function sample(evidenceSuffix = '', startedAt = '2026-11-25T10:00:00.000Z'): SecurityResult {
  const rules = (p: string) => RULES.filter((r) => r.protocol === p && !r.optIn && r.transport !== 'tls').map((r) => r.id);
  return {
    startedAt,
    durationMs: 1234,
    failOn: 'high',
    requests: 9,
    counts: { critical: 1, high: 2, medium: 1, low: 0, info: 0 },
    failed: true,
    exitCode: ExitCode.CheckFailed,
    skipped: [],
    targets: [
      {
        target: OPC,
        protocol: 'opcua',
        origin: { kind: 'inventory', file: 'site/inventory.json', index: 0, line: 7 },
        status: 'assessed',
        findings: [
          finding('opcua-cleartext-password', OPC, `None/None${evidenceSuffix}`),
          finding('opcua-mode-none', OPC, `1 endpoint${evidenceSuffix}`),
        ],
        rulesEvaluated: rules('opcua'),
        rulesSkipped: RULES.filter((r) => r.protocol === 'opcua' && r.optIn).map((r) => ({ id: r.id, why: `opt-in: needs ${r.optIn}` })),
        facts: {},
        durationMs: 100,
      },
      {
        target: MB,
        protocol: 'modbus',
        origin: { kind: 'argument', index: 0 },
        status: 'assessed',
        findings: [finding('modbus-unauthenticated', MB, 'unit 1 answered')],
        rulesEvaluated: ['modbus-unauthenticated', 'modbus-device-id'],
        rulesSkipped: [{ id: 'modbus-unit-ids', why: 'opt-in: needs --unit-sweep' }],
        facts: {},
        durationMs: 50,
      },
      {
        target: MQ,
        protocol: 'mqtt',
        origin: { kind: 'argument', index: 1 },
        status: 'assessed',
        findings: [finding('mqtt-anonymous', MQ, 'CONNACK 0 <&> "quoted"')],
        rulesEvaluated: rules('mqtt'),
        rulesSkipped: RULES.filter((r) => r.protocol === 'mqtt' && r.optIn).map((r) => ({ id: r.id, why: `opt-in: needs ${r.optIn}` })),
        facts: {},
        durationMs: 50,
      },
      {
        target: DEAD,
        protocol: 'mqtt',
        origin: { kind: 'argument', index: 2 },
        status: 'not-assessed',
        reason: 'nothing is listening at 127.0.0.1:8883 (connection refused)',
        hint: 'is the broker running?',
        findings: [],
        rulesEvaluated: [],
        rulesSkipped: [],
        facts: {},
        durationMs: 2,
      },
    ],
  };
}

describe('SARIF', () => {
  it('is valid against the official SARIF 2.1.0 schema', () => {
    const doc = toSarif(sample(), '/work');
    expect(validate(schema, doc)).toEqual([]);
  });

  it('the validator catches broken documents (so a pass means something)', () => {
    const good = toSarif(sample(), '/work') as { runs: Array<Record<string, unknown>> } & Record<string, unknown>;
    const clone = () => JSON.parse(JSON.stringify(good)) as typeof good;
    const noVersion = clone();
    delete noVersion.version;
    expect(validate(schema, noVersion).join()).toContain('missing required "version"');
    const badLevel = clone();
    (badLevel.runs[0]!.results as Array<Record<string, unknown>>)[0]!.level = 'critical';
    expect(validate(schema, badLevel).join()).toContain('is not one of');
    const badLine = clone();
    (badLine.runs[0]!.results as Array<{ locations: Array<{ physicalLocation: { region: { startLine: number } } }> }>)[0]!
      .locations[0]!.physicalLocation.region.startLine = 0;
    expect(validate(schema, badLine).join()).toContain('minimum 1');
    const extra = clone();
    (extra.runs[0]! as Record<string, unknown>).surprise = true;
    expect(validate(schema, extra).join()).toContain('unexpected property "surprise"');
    const badUri = clone();
    (badUri.runs[0]!.results as Array<{ locations: Array<{ physicalLocation: { artifactLocation: { uri: string } } }> }>)[0]!
      .locations[0]!.physicalLocation.artifactLocation.uri = 'has spaces/in it';
    expect(validate(schema, badUri).join()).toContain('not a URI reference');
  });

  it('carries every rule with security-severity, and locations GitHub code scanning accepts', () => {
    const doc = toSarif(sample(), '/work') as {
      runs: Array<{
        tool: { driver: { rules: Array<Record<string, unknown>> } };
        results: Array<Record<string, unknown>>;
        invocations: Array<Record<string, unknown>>;
      }>;
    };
    const run = doc.runs[0]!;
    const rules = run.tool.driver.rules;
    expect(rules.map((r) => r.id)).toEqual(RULES.map((r) => r.id));
    const byId = new Map(rules.map((r) => [r.id as string, r]));
    expect((byId.get('opcua-cleartext-password')!.properties as Record<string, unknown>)['security-severity']).toBe('9.5');
    expect((byId.get('opcua-mode-none')!.properties as Record<string, unknown>)['security-severity']).toBe('8.0');
    expect((byId.get('modbus-unauthenticated')!.properties as Record<string, unknown>)['security-severity']).toBe('5.5');
    expect((byId.get('opcua-build-info')!.properties as Record<string, unknown>)['security-severity']).toBeUndefined();
    expect(run.results).toHaveLength(4);
    const [r0, , r2] = run.results as Array<{
      ruleId: string;
      ruleIndex: number;
      level: string;
      locations: Array<{
        physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } };
        logicalLocations: Array<{ name: string; kind: string }>;
      }>;
    }>;
    // inventory origin: the file (relative) and the device's line
    expect(r0!.locations[0]!.physicalLocation.artifactLocation.uri).toBe('site/inventory.json');
    expect(r0!.locations[0]!.physicalLocation.region.startLine).toBe(7);
    expect(r0!.locations[0]!.logicalLocations[0]).toMatchObject({ name: OPC, kind: 'resource' });
    expect(rules[r0!.ruleIndex]!.id).toBe(r0!.ruleId);
    expect(r0!.level).toBe('error');
    // argument origin: a synthetic relative path
    expect(r2!.locations[0]!.physicalLocation.artifactLocation.uri).toBe('iiot-targets/modbus/127.0.0.1-5020-unit1');
    expect(r2!.level).toBe('warning');
    // the target that could not be reached is a notification, not a result and not a pass
    const notes = run.invocations[0]!.toolExecutionNotifications as Array<{ level: string; message: { text: string } }>;
    expect(notes).toHaveLength(1);
    expect(notes[0]!.level).toBe('error');
    expect(notes[0]!.message.text).toContain(`${DEAD}: not assessed: nothing is listening`);
  });

  it('fingerprints depend on rule and target only: stable across runs, distinct across targets', () => {
    const a = toSarif(sample(), '/work') as { runs: Array<{ results: Array<{ partialFingerprints: Record<string, string> }> }> };
    const b = toSarif(sample(' (changed evidence)', '2026-12-01T00:00:00.000Z'), '/work') as typeof a;
    const fa = a.runs[0]!.results.map((r) => r.partialFingerprints['iiotFinding/v1']);
    const fb = b.runs[0]!.results.map((r) => r.partialFingerprints['iiotFinding/v1']);
    expect(fb).toEqual(fa);
    expect(new Set(fa).size).toBe(fa.length);
    expect(fingerprint('mqtt-anonymous', MQ)).not.toBe(fingerprint('mqtt-anonymous', 'mqtt://127.0.0.2:1883'));
    expect(syntheticPath('opc.tcp://[::1]:4840')).toBe('iiot-targets/opc.tcp/%3A%3A1-4840');
  });
});

describe('JUnit', () => {
  it('one test case per target and rule: failures at or above --fail-on, skipped opt-in rules, errors for what was not assessed', () => {
    const xml = toJunit(sample());
    const suites = [...xml.matchAll(/<testsuite name="([^"]+)" tests="(\d+)" failures="(\d+)" errors="(\d+)" skipped="(\d+)"/g)].map(
      (m) => ({ name: m[1], tests: Number(m[2]), failures: Number(m[3]), errors: Number(m[4]), skipped: Number(m[5]) }),
    );
    const opcRules = RULES.filter((r) => r.protocol === 'opcua').length;
    const mqttPlainRules = RULES.filter((r) => r.protocol === 'mqtt' && r.transport !== 'tls').length;
    const mqttTlsRules = RULES.filter((r) => r.protocol === 'mqtt' && r.transport !== 'plain').length;
    expect(suites).toEqual([
      { name: OPC, tests: opcRules, failures: 2, errors: 0, skipped: RULES.filter((r) => r.protocol === 'opcua' && r.optIn).length },
      // modbus-unauthenticated is medium, below --fail-on high: it passes with the finding in system-out
      { name: MB, tests: 3, failures: 0, errors: 0, skipped: 1 },
      { name: MQ, tests: mqttPlainRules, failures: 1, errors: 0, skipped: RULES.filter((r) => r.protocol === 'mqtt' && r.optIn).length },
      { name: DEAD, tests: mqttTlsRules, failures: 0, errors: mqttTlsRules, skipped: 0 },
    ]);
    const cases = [...xml.matchAll(/<testcase /g)].length;
    expect(cases).toBe(opcRules + 3 + mqttPlainRules + mqttTlsRules);
    expect(xml).toContain('<failure message="critical: None/None" type="critical">');
    expect(xml).toContain('CONNACK 0 &lt;&amp;&gt; &quot;quoted&quot;');
    expect(xml).toMatch(/<system-out>medium \(below --fail-on high\): unit 1 answered/);
    expect(xml).toContain('type="not-assessed"');
    expect(xml).toMatch(
      /^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites name="iiot check security" tests="\d+" failures="3" errors="\d+" skipped="\d+"/,
    );
  });
});
