/**
 * `iiot commission` against the embedded plant, as an engineer runs it: a plan that passes (with
 * the plant's known weaknesses waived), the faults that must fail their own items (a missing
 * device, a wrong unit, a stuck transmitter, a weak security profile, a latency budget missed),
 * a handover that `verify` proves intact and that any tampering breaks, the guided loop check on a
 * real terminal (a socat pty), the report printed to PDF by headless chromium, init and diff.
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import ModbusRTU from 'modbus-serial';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyHandover } from '../../src/commission/handover/manifest.js';
import type { CommissionReport } from '../../src/commission/handover/report.js';
import { startPlant, type RunningPlant } from '../../src/sim/plant.js';
import { BIN, ROOT, runCli } from '../helpers/cli.js';
import { closedPort } from '../helpers/net.js';
import { removeTempDirs, tempDir } from '../helpers/temp.js';
import { waitFor } from '../helpers/wait.js';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
let dir: string;
let env: Record<string, string>;
/** the plant of the site: OPC UA, Modbus (meter unit 1, PLC unit 3), MQTT; conveyor1's vibration transmitter is frozen */
let plant: RunningPlant;
/** a second OPC UA server with the weak security profile */
let weak: RunningPlant;
/** a broker that leaves Nagle's algorithm on (a ~40 ms stall on QoS 1 acknowledgements) */
let nagle: RunningPlant;
let accepted: { dir: string; report: CommissionReport; stdout: string; stderr: string };

const port = (url: string | undefined) => new URL(url!.replace(/^[a-z.]+:/, 'http:')).port;

function passingPlan(): string {
  return `# the site acceptance plan of the embedded plant
format: iiot.commission-plan/1
site: { name: Packaging line 3, location: Hall 2, owner: ACME Foods }
job: { id: SAT-2026-114, engineer: P. Nair, integrator: Line Builders Ltd }
defaults:
  security: { failOn: high, certificateValidity: 30d }
  latency: { p99: 500ms, loss: 5%, count: 20 }
discovery: { listen: 2s }
recording: { window: 6s }
devices:
  - id: plc
    url: ${plant.endpoints.opcua}
    identity: { applicationUri: "urn:iiot:sim:127.0.0.1", productUri: "urn:iiot:sim" }
  - id: meter
    url: "${plant.endpoints.modbus}?unit=1"
    map: sdm630
    identity: { vendor: Eastron }
  - id: broker
    url: ${plant.endpoints.mqtt}
    identity: { protocolVersion: "3.1.1", sparkplug: [IIoT/SimPlant] }
signals:
  - { tag: PT-101 pump vibration, device: plc, address: "nsu=urn:iiot:sim:plant;s=pump1.vibration", unit: mm/s, range: [0, 25], maxInterval: 2s }
  - { tag: pump speed setpoint, device: plc, address: "nsu=urn:iiot:sim:plant;s=pump1.speedSetpoint", unit: rpm, constant: true, maxInterval: 2s }
  - { tag: L1 voltage, device: meter, address: voltage_l1, unit: V, range: [200, 260], maxInterval: 2s }
  - { tag: TT-102 bearing temperature, device: broker, address: plant/pump1/bearingTemp, unit: degC, range: [-20, 150], maxInterval: 3s }
  - { tag: VT-103 by browse path, device: plc, address: /Objects/Plant/Pump1/VibrationVelocityRms, unit: mm/s, range: [0, 25] }
  - { tag: VT-104 Sparkplug, device: broker, address: "spBv1.0/IIoT/SimPlant/pump1:vibration", unit: mm/s, range: [0, 25], maxInterval: 3s }
waivers:
  - { item: security/plc/opcua-mode-none, reason: "test bench: the None endpoint stays for the legacy HMI until phase 2", by: "J. Owner (ACME)", date: 2026-12-07 }
  - { item: security/plc/opcua-anonymous-offered, reason: "test bench only", by: "J. Owner (ACME)" }
  - { item: security/broker/mqtt-anonymous, reason: "isolated test network", by: "J. Owner (ACME)" }
`;
}

async function run(args: string[], timeoutMs = 180_000) {
  return runCli(['commission', ...args, '--trust-on-first-use'], { env, timeoutMs });
}

beforeAll(async () => {
  dir = tempDir('commission');
  env = { IIOT_PKI_DIR: join(dir, 'client-pki') };
  plant = await startPlant({
    opcua: { port: 0, pkiDir: join(dir, 'plant-pki') },
    modbus: { port: 0 },
    mqtt: { port: 0 },
    updateIntervalMs: 250,
    frozen: ['conveyor1.vibration'],
  });
  weak = await startPlant({
    opcua: { port: 0, profile: 'weak', nodesets: ['standard'], historyBackfillMs: 0, pkiDir: join(dir, 'weak-pki') },
    modbus: false,
    mqtt: false,
  });
  nagle = await startPlant({ opcua: false, modbus: false, mqtt: { port: 0, nagle: true, sparkplug: false } });
  // the plant and this engineer's iiot trust each other explicitly, as `iiot sim` and `iiot pki trust` would
  const { trustLocalClient } = await import('../../src/sim/local-client-trust.js');
  await trustLocalClient(plant.opcua!.pkiDir, env);
  await trustLocalClient(weak.opcua!.pkiDir, env);
  writeFileSync(join(dir, 'sat.yaml'), passingPlan());
  const out = join(dir, 'handover');
  const r = await run(['run', join(dir, 'sat.yaml'), '-o', out]);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.code, r.stderr + r.stdout).toBe(0);
  accepted = {
    dir: out,
    report: JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as CommissionReport,
    stdout: r.stdout,
    stderr: r.stderr,
  };
}, 300_000);

afterAll(async () => {
  await Promise.all([plant?.stop(), weak?.stop(), nagle?.stop()]);
  removeTempDirs();
});

describe('a plan the plant meets', () => {
  it('is accepted: every device found and identified, every signal judged, the waived findings named', () => {
    const r = accepted.report;
    expect(r).toMatchObject({
      schema: 'iiot.commission/1',
      accepted: true,
      site: { name: 'Packaging line 3' },
      job: { id: 'SAT-2026-114' },
    });
    const status = Object.fromEntries(r.items.map((i) => [i.id, i.status]));
    for (const d of ['plc', 'meter', 'broker']) {
      expect(status[`device/${d}/found`]).toBe('pass');
      expect(status[`identity/${d}/identity`]).toBe('pass');
    }
    for (const check of ['present', 'updating', 'range', 'unit', 'quality', 'gaps', 'not-stuck', 'noise']) {
      expect(status[`signal/PT-101 pump vibration/${check}`], check).toBe('pass');
      expect(status[`signal/L1 voltage/${check}`], check).toBe('pass');
    }
    expect(status['signal/TT-102 bearing temperature/unit']).toBe('pass');
    // an OPC UA browse path (the node PT-101 names by its id: recorded once, found by both) and a
    // Sparkplug device metric address their signals as node ids and topics do
    for (const check of ['present', 'range', 'unit', 'quality', 'gaps']) {
      expect(status[`signal/VT-103 by browse path/${check}`], check).toBe('pass');
      expect(status[`signal/VT-104 Sparkplug/${check}`], check).toBe('pass');
    }
    expect(status['signal/VT-104 Sparkplug/updating']).toBe('pass');
    expect(status['signal/pump speed setpoint/not-stuck']).toBeUndefined();
    // it never changes, and the OPC UA subscription reports changes only: current all the same
    expect(r.items.find((i) => i.id === 'signal/pump speed setpoint/updating')).toMatchObject({
      status: 'pass',
      observed: expect.stringMatching(/^reported on change; .* the connection held throughout/),
    });
    expect(status['security/plc/opcua-mode-none']).toBe('waived');
    expect(status['security/broker/mqtt-anonymous']).toBe('waived');
    expect(r.items.filter((i) => i.status === 'waived').every((i) => i.waiver?.by === 'J. Owner (ACME)')).toBe(true);
    expect(r.counts.fail).toBe(0);
    expect(r.signals.find((s) => s.tag === 'L1 voltage')).toMatchObject({ unit: 'V' });
    expect(r.signals.find((s) => s.tag === 'L1 voltage')!.samples).toBeGreaterThanOrEqual(4);
  });

  it('prints each item as it is judged, and the verdict first in the summary', () => {
    expect(accepted.stderr).toMatch(/\[1\/7\] Plan sat\.yaml/);
    expect(accepted.stderr).toMatch(/✔ PT-101 pump vibration stays within 0…25 mm\/s/);
    expect(accepted.stdout.split('\n')[0]).toMatch(
      /^ACCEPTED {2}Packaging line 3, job SAT-2026-114: \d+ passed, 0 failed, 3 waived of \d+ items/,
    );
  });

  it('writes the handover: report, JUnit, SARIF, evidence and a signed manifest that verify finds intact', async () => {
    const files = [
      'report.html',
      'report.json',
      'junit.xml',
      'security.sarif',
      'manifest.json',
      'evidence/plan.yaml',
      'evidence/inventory.json',
      'evidence/certificates.json',
      'evidence/latency.json',
      'evidence/plc.address-space.json',
      'evidence/capture.jsonl.gz',
    ];
    for (const f of files) expect(existsSync(join(accepted.dir, f)), f).toBe(true);
    expect(readFileSync(join(accepted.dir, 'evidence/plan.yaml'), 'utf8')).toBe(passingPlan());
    const junit = readFileSync(join(accepted.dir, 'junit.xml'), 'utf8');
    expect(junit).toMatch(
      /<testsuites name="iiot commission Packaging line 3 SAT-2026-114" tests="\d+" failures="0" errors="0" skipped="3"/,
    );
    expect(junit).toContain('<skipped message="waived by J. Owner (ACME): isolated test network"/>');
    const sarif = JSON.parse(readFileSync(join(accepted.dir, 'security.sarif'), 'utf8')) as {
      version: string;
      runs: Array<{ results: Array<{ ruleId: string }> }>;
    };
    expect(sarif.version).toBe('2.1.0');
    expect(sarif.runs[0]!.results.map((x) => x.ruleId)).toContain('mqtt-anonymous');
    const manifest = JSON.parse(readFileSync(join(accepted.dir, 'manifest.json'), 'utf8')) as {
      steps: Array<{ step: string; prev: string; hash: string }>;
      signature: { certificateSha256: string };
    };
    expect(manifest.steps.map((s) => s.step)).toEqual([
      'plan',
      'discovery',
      'security',
      'latency',
      'address-space',
      'recording',
      'handover',
    ]);
    manifest.steps.forEach((s, i) => expect(s.prev).toBe(i === 0 ? '0'.repeat(64) : manifest.steps[i - 1]!.hash));
    // the signer's fingerprint is on the page the owner signs and in the summary's verify command
    const fp = manifest.signature.certificateSha256;
    expect(accepted.report.signer.certificateSha256).toBe(fp);
    expect(readFileSync(join(accepted.dir, 'report.html'), 'utf8')).toContain(`--signer ${fp}`);
    expect(accepted.stdout).toContain(`iiot commission verify ${accepted.dir} --signer ${fp}`);
    const v = await runCli(['commission', 'verify', accepted.dir, '--signer', manifest.signature.certificateSha256], { env });
    expect(v.code, v.stdout + v.stderr).toBe(0);
    expect(v.stdout).toMatch(/^✔ intact: 10 files, 7 steps, signature valid; the handover says ACCEPTED/);
  });

  it('verify names every file changed, missing or added, and a re-signed manifest by another key', async () => {
    const files: string[] = [];
    const walk = (d: string) => {
      for (const n of readdirSync(d))
        statSync(join(d, n)).isDirectory() ? walk(join(d, n)) : files.push(join(d, n).slice(accepted.dir.length + 1));
    };
    walk(accepted.dir);
    expect(files).toHaveLength(11);
    for (const f of files) {
      const copy = join(dir, `tamper-${f.replace(/\W/g, '_')}`);
      cpSync(accepted.dir, copy, { recursive: true });
      appendFileSync(join(copy, f), ' ');
      const r = await verifyHandover(copy);
      // the manifest is signed in canonical form: its layout may change, its content may not (below)
      if (f === 'manifest.json') expect(r.ok).toBe(true);
      else
        expect(
          r.problems.map((p) => p.message),
          f,
        ).toEqual([`${f} was changed after the handover was signed`]);
    }
    const gone = join(dir, 'tamper-missing');
    cpSync(accepted.dir, gone, { recursive: true });
    rmSync(join(gone, 'evidence', 'capture.jsonl.gz'));
    writeFileSync(join(gone, 'evidence', 'extra.csv'), 'a,b\n');
    const cli = await runCli(['commission', 'verify', gone, '--json'], { env });
    expect(cli.code).toBe(1);
    const doc = JSON.parse(cli.stdout) as { ok: boolean; problems: Array<{ kind: string; file?: string }> };
    expect(doc.problems).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'missing', file: 'evidence/capture.jsonl.gz' }),
        expect.objectContaining({ kind: 'added', file: 'evidence/extra.csv' }),
      ]),
    );
    // a verdict changed in the manifest itself breaks the signature
    const forged = join(dir, 'tamper-verdict');
    cpSync(accepted.dir, forged, { recursive: true });
    const m = JSON.parse(readFileSync(join(forged, 'manifest.json'), 'utf8')) as { accepted: boolean };
    m.accepted = false;
    writeFileSync(join(forged, 'manifest.json'), JSON.stringify(m, null, 2));
    expect((await verifyHandover(forged)).problems.map((p) => p.kind)).toEqual(['signature']);
    // a field the signature does not cover cannot ride along in an "intact" manifest
    const noted = join(dir, 'tamper-note');
    cpSync(accepted.dir, noted, { recursive: true });
    const n = JSON.parse(readFileSync(join(noted, 'manifest.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(noted, 'manifest.json'), JSON.stringify({ ...n, approvedBy: 'the plant manager' }, null, 2));
    expect((await verifyHandover(noted)).problems.map((p) => p.message)).toEqual([
      'manifest.json has "approvedBy", which the signature does not cover: added after signing',
    ]);
    // a file replaced by a link to the same bytes is not the file that was signed
    const linked = join(dir, 'tamper-link');
    cpSync(accepted.dir, linked, { recursive: true });
    rmSync(join(linked, 'evidence', 'plan.yaml'));
    symlinkSync(join(accepted.dir, 'evidence', 'plan.yaml'), join(linked, 'evidence', 'plan.yaml'));
    expect((await verifyHandover(linked)).problems.map((p) => p.message)).toEqual([
      'evidence/plan.yaml is not a plain file any more (a link or a device): it was replaced after the handover was signed',
    ]);
    // and --signer refuses a handover signed by someone else
    const other = await runCli(['commission', 'verify', accepted.dir, '--signer', 'ab'.repeat(32)], { env });
    expect(other.code).toBe(1);
    expect(other.stdout).toMatch(/not by the expected abababababababab/);
  });

  it('renders the report in headless chromium and prints it to PDF', async () => {
    if (!existsSync(CHROMIUM))
      throw new Error(`headless chromium not found at ${CHROMIUM}: apt-get install -y chromium (this test prints the handover report)`);
    const pdf = join(dir, 'report.pdf');
    const r = await new Promise<number | null>((resolve) => {
      const c = spawn(
        CHROMIUM,
        [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--disable-background-networking',
          '--no-pdf-header-footer',
          `--print-to-pdf=${pdf}`,
          `file://${join(accepted.dir, 'report.html')}`,
        ],
        { stdio: 'ignore' },
      );
      c.on('close', resolve);
    });
    expect(r).toBe(0);
    const bytes = readFileSync(pdf);
    expect(bytes.subarray(0, 5).toString()).toBe('%PDF-');
    expect(bytes.length).toBeGreaterThan(10_000);
    const html = readFileSync(join(accepted.dir, 'report.html'), 'utf8');
    expect(html.indexOf('ACCEPTED')).toBeLessThan(html.indexOf('<h2>'));
    expect(html).not.toMatch(/<script|https?:\/\/(?!127\.0\.0\.1)/);
  });

  it('diff shows what changed since the last acceptance', async () => {
    const later = join(dir, 'handover-later');
    cpSync(accepted.dir, later, { recursive: true });
    const report = JSON.parse(readFileSync(join(later, 'report.json'), 'utf8')) as CommissionReport;
    const meter = report.devices.find((d) => d.id === 'meter')!;
    meter.identity = { ...meter.identity, revision: '2.1' };
    report.signals.find((s) => s.tag === 'L1 voltage')!.max = 400;
    writeFileSync(join(later, 'report.json'), JSON.stringify(report));
    const r = await runCli(['commission', 'diff', accepted.dir, later, '--json'], { env });
    expect(r.code).toBe(0);
    const changes = (JSON.parse(r.stdout) as { changes: Array<{ area: string; subject: string; what: string; new?: string }> }).changes;
    expect(changes).toEqual([
      { area: 'identity', subject: 'meter', what: 'revision', old: '2.0', new: '2.1' },
      { area: 'signal', subject: 'L1 voltage', what: 'max', old: expect.any(String), new: '400' },
    ]);
    // a damaged report is one line, not a stack trace
    writeFileSync(join(later, 'report.json'), '{"schema": "iiot.commission/1", ');
    const damaged = await runCli(['commission', 'diff', accepted.dir, later], { env });
    expect(damaged.code).toBe(2);
    expect(damaged.stderr).toMatch(/^iiot: error: .*report\.json: cannot be read as JSON/);
    expect(damaged.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('faults fail their own items', () => {
  it('a missing device, a wrong unit, a stuck transmitter, a weak security profile and a missed latency budget', {
    timeout: 240_000,
  }, async () => {
    const ghost = await closedPort();
    const plan = `format: iiot.commission-plan/1
site: { name: faults }
job: { id: F-1 }
discovery: { listen: 1s }
recording: { window: 7s }
devices:
  - { id: plc, url: "${plant.endpoints.opcua}", security: { failOn: none } }
  - { id: line-plc, url: "${plant.endpoints.modbus}?unit=3", map: ${join(ROOT, 'fixtures/maps/plant-plc.yaml')}, security: { failOn: none } }
  - { id: ghost, url: "modbus://127.0.0.1:${ghost}?unit=1", map: sdm630 }
  - { id: weak, url: "${weak.endpoints.opcua}", security: { failOn: high, minMode: SignAndEncrypt } }
  - { id: slow-broker, url: "${nagle.endpoints.mqtt}", security: { failOn: none }, latency: { p99: 20ms, count: 30 } }
signals:
  - { tag: vibration in the wrong unit, device: plc, address: "nsu=urn:iiot:sim:plant;s=pump1.vibration", unit: in/s }
  - { tag: frozen vibration, device: line-plc, address: conveyor1.vibration, unit: mm/s, range: [0, 25], maxInterval: 2s }
  - { tag: live vibration, device: line-plc, address: pump1.vibration, unit: mm/s, range: [0, 25], maxInterval: 2s }
  - { tag: ghost voltage, device: ghost, address: voltage_l1 }
  - { tag: not made yet, device: plc, address: "nsu=urn:iiot:sim:plant;s=pump1.notThere" }
`;
    writeFileSync(join(dir, 'faults.yaml'), plan);
    const out = join(dir, 'faults');
    const r = await run(['run', join(dir, 'faults.yaml'), '-o', out, '--json']);
    expect(r.code, r.stderr).toBe(1);
    const report = JSON.parse(r.stdout) as CommissionReport & { handover: string };
    expect(report.accepted).toBe(false);
    expect(report.handover).toBe(out);
    const failed = new Set(report.items.filter((i) => i.status === 'fail').map((i) => i.id));
    expect(failed).toContain('device/ghost/found');
    expect(failed).toContain('signal/ghost voltage/present');
    expect(failed).toContain('signal/vibration in the wrong unit/unit');
    expect(failed).toContain('signal/frozen vibration/not-stuck');
    expect(failed).not.toContain('signal/live vibration/not-stuck');
    // a node the server does not have fails its own signal; the server's other signals are recorded
    expect(report.items.find((i) => i.id === 'signal/not made yet/present')).toMatchObject({
      status: 'fail',
      observed: 'no node nsu=urn:iiot:sim:plant;s=pump1.notThere on the server (BadNodeIdUnknown)',
    });
    expect(report.items.find((i) => i.id === 'signal/vibration in the wrong unit/present')!.status).toBe('pass');
    expect(failed).toContain('security/weak/min-mode');
    expect([...failed].filter((id) => id.startsWith('security/weak/opcua-'))).not.toHaveLength(0);
    expect([...failed].filter((id) => id.startsWith('latency/slow-broker/p99'))).not.toHaveLength(0);
    // and only those: the healthy parts of the plant pass
    for (const id of failed)
      expect(id).toMatch(
        /^(device\/ghost|signal\/ghost|signal\/vibration in the wrong unit\/unit|signal\/frozen vibration\/not-stuck|signal\/not made yet\/present|security\/weak|latency\/slow-broker)/,
      );
    expect(report.items.find((i) => i.id === 'signal/frozen vibration/not-stuck')!.observed).toMatch(
      /^one value \(\d+(\.\d+)?\) for 7\.\d+ s$/,
    );
    // the handover of a rejected acceptance is as complete and as verifiable as an accepted one
    expect((await verifyHandover(out)).ok).toBe(true);
  });

  it('refuses to replace a handover without --force, and a plan error is one line with exit 2', async () => {
    const again = await run(['run', join(dir, 'sat.yaml'), '-o', accepted.dir]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/the folder exists and is not empty/);
    // --force replaces a handover, never a folder of other files (the job folder with the plan in it)
    const job = join(dir, 'job');
    cpSync(join(dir, 'sat.yaml'), join(job, 'sat.yaml'));
    const notHandover = await run(['run', join(job, 'sat.yaml'), '-o', job, '--force']);
    expect(notHandover.code).toBe(2);
    expect(notHandover.stderr).toMatch(/the folder holds files that are not a handover \(sat\.yaml\), so --force does not replace it/);
    expect(readdirSync(job)).toEqual(['sat.yaml']);
    writeFileSync(join(dir, 'typo.yaml'), passingPlan().replace('address: voltage_l1', 'address: voltage_L1'));
    const typo = await run(['run', join(dir, 'typo.yaml'), '-o', join(dir, 'never')]);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(
      /typo\.yaml:\d+: signals\[2\]\.address: the register map sdm630 of device "meter" has no entry "voltage_L1" \(did you mean "voltage_l1"\?\)/,
    );
    writeFileSync(join(dir, 'bad.yaml'), passingPlan().replace('maxInterval: 2s }', 'maxInterval: often }'));
    const bad = await run(['run', join(dir, 'bad.yaml'), '-o', join(dir, 'never')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')[0]).toMatch(
      /^iiot: error: .*bad\.yaml:\d+: signals\[0\]\.maxInterval: cannot read "often" as a duration/,
    );
    expect(existsSync(join(dir, 'never'))).toBe(false);
  });
});

describe('Ctrl-C', () => {
  it('stops the run with exit 130 and writes no handover: a cut-short window must not be signed as an acceptance', async () => {
    const out = join(dir, 'interrupted');
    const child = spawn(
      process.execPath,
      [BIN, 'commission', 'run', join(dir, 'sat.yaml'), '-o', out, '--window', '10m', '--trust-on-first-use'],
      { env: { ...process.env, ...env, NO_COLOR: '1' }, cwd: ROOT },
    );
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    await waitFor(() => stderr.includes('[6/7] Recording the I/O list'), 50);
    child.kill('SIGINT');
    expect(await exited, stderr).toBe(130);
    expect(stderr).toMatch(/iiot: error: interrupted: no handover was written/);
    expect(stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(out)).toBe(false);
    // what it gathered stays beside it, under a name no one takes for a handover
    expect(readdirSync(dir).filter((n) => n.startsWith('.interrupted.partial-'))).toHaveLength(1);
  }, 180_000);
});

describe('the guided loop check on a terminal', () => {
  it('asks the engineer to act at the field device and confirms the change it sees', async () => {
    const plan = passingPlan()
      .replace('recording: { window: 6s }', 'recording: { window: 2s }')
      .replace(
        'unit: rpm, constant: true, maxInterval: 2s }',
        'unit: rpm, constant: true, maxInterval: 2s, loopCheck: "set the pump speed setpoint to 1200 rpm on the HMI" }',
      );
    writeFileSync(join(dir, 'loop.yaml'), plan);
    const out = join(dir, 'loop-handover');
    // socat gives the command a real terminal (stdin, stdout and stderr on one pty)
    const cmd = `${process.execPath} ${BIN} commission run ${join(dir, 'loop.yaml')} -o ${out} --loop-check --trust-on-first-use`;
    const child = spawn('socat', ['-', `EXEC:${cmd},pty,setsid,ctty,stderr,rawer`], {
      env: { ...process.env, ...env, NO_COLOR: '1', CI: '' },
      cwd: ROOT,
    });
    let screen = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (screen += d));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    await waitFor(() => screen.includes('ACT NOW: set the pump speed setpoint'), 50);
    // the field action: the HMI writes the setpoint through the line PLC (Modbus unit 3, hr 100)
    const Client = (
      ModbusRTU as unknown as {
        default: new () => {
          connectTCP(h: string, o: { port: number }): Promise<void>;
          setID(n: number): void;
          setTimeout(ms: number): void;
          writeRegister(a: number, v: number): Promise<unknown>;
          close(cb: () => void): void;
        };
      }
    ).default;
    const client = new Client();
    await client.connectTCP('127.0.0.1', { port: Number(port(plant.endpoints.modbus)) });
    client.setID(3);
    client.setTimeout(2000);
    await client.writeRegister(100, 1200);
    client.close(() => {});
    expect(await exited).toBe(0);
    expect(screen).toMatch(/✔ confirmed at \d{4}-\d\d-\d\dT[\d:.]+Z: \d+ → 1200/);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as CommissionReport;
    expect(report.loopChecks).toEqual([expect.objectContaining({ tag: 'pump speed setpoint', result: 'confirmed', after: 1200 })]);
    expect(report.items.find((i) => i.id === 'loop-check/pump speed setpoint/loop')!.status).toBe('pass');
  }, 180_000);

  it('refuses --loop-check without a terminal', async () => {
    const r = await run(['run', join(dir, 'sat.yaml'), '-o', join(dir, 'no-tty'), '--loop-check']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--loop-check asks the engineer at each step: it needs a terminal/);
  });
});

describe('commission init', () => {
  it('drafts a plan from what answers, which the run accepts as a plan', async () => {
    const file = join(dir, 'draft.yaml');
    const r = await run([
      'init',
      plant.endpoints.opcua!,
      `${plant.endpoints.modbus}?unit=1`,
      plant.endpoints.mqtt!,
      '-o',
      file,
      '--window',
      '3s',
      '--listen',
      '1s',
      '--site',
      'Line 3',
      '--job',
      'SAT-9',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^wrote .*draft\.yaml: 3 devices, \d+ signals, 3 findings to fix or waive/);
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('address: nsu=urn:iiot:sim:plant;s=pump1.vibration');
    expect(text).toMatch(/device: modbus-\d+-u1\n\s+address: voltage_l1\n\s+description: Phase 1 line to neutral volts\n\s+unit: V/);
    expect(text).toContain('#   - item: security/mqtt-');
    const { parsePlan } = await import('../../src/commission/plan.js');
    const plan = parsePlan({ file, text });
    expect(plan.site.name).toBe('Line 3');
    expect(plan.devices.map((d) => d.url.protocol).sort()).toEqual(['modbus', 'mqtt', 'opcua']);
    expect(plan.signals.find((s) => s.address.endsWith('s=pump1.vibration'))).toMatchObject({ unit: 'mm/s', range: [0, 25] });
    // the frozen transmitter did not move while iiot watched: marked for the engineer to decide, with no range guessed from one value
    const frozen = plan.signals.find((s) => s.address === 'plant/conveyor1/vibration')!;
    expect(frozen).toMatchObject({ unit: 'mm/s', constant: true });
    expect(frozen.range).toBeUndefined();
    expect(plan.devices.find((d) => d.url.protocol === 'modbus')!.security).toBeUndefined();
    const again = await run(['init', plant.endpoints.opcua!, '-o', file]);
    expect(again.code).toBe(2);
  }, 120_000);
});
