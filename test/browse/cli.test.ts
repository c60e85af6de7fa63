import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectCertificate } from '../../src/protocols/opcua/certificates.js';
import { euUnit } from '../../src/protocols/opcua/eu-units.js';
import { readTagList } from '../../src/protocols/opcua/tag-list.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { clientPki, startOpcUaPlant, tempDir, USER, type TestPlant, removeTempDirs } from '../helpers/opcua-plant.js';

afterAll(removeTempDirs);

/** Every failure is one line (plus a hint), never a stack trace; stdout never carries node-opcua's logs. */
function clean(r: CliResult): void {
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.stdout).not.toMatch(/NODE-OPCUA|node-opcua/);
}

describe('iiot browse / read / pki against the embedded plant', () => {
  let t: TestPlant;
  let serverSha256: string;
  const main = clientPki(); // trusts the server; the server trusts it
  const fresh = clientPki(); // the server trusts it; it knows nothing yet
  const tofu = clientPki(); // likewise, for trust on first use
  const env = (pki = main, extra: Record<string, string> = {}) => ({ IIOT_PKI_DIR: pki.paths.root, ...extra });
  let plantNode: string;
  let power: string;

  beforeAll(async () => {
    t = await startOpcUaPlant({ trustClient: [main, fresh, tofu], historyBackfillMs: 600_000, historyStepMs: 10_000 });
    main.trust(t.plant.opcua!.certificateFile);
    serverSha256 = inspectCertificate(readFileSync(t.plant.opcua!.certificateFile)).sha256;
    plantNode = `ns=${t.plant.opcua!.namespaceIndex};s=Plant`;
    power = t.plant.opcua!.nodeId('plant.power');
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('lists the endpoints a server offers, with its certificate fingerprint', async () => {
    const r = await runCli(['browse', t.url, '--endpoints'], { env: env() });
    clean(r);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/SignAndEncrypt\s+Basic256Sha256/);
    expect(r.stdout).toMatch(/None\s+None/);
    expect(r.stdout).toContain(`SHA-256 ${serverSha256}`);
  });

  it('prints the tree below Objects over the most secure endpoint', async () => {
    const r = await runCli(['browse', t.url], { env: env() });
    clean(r);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toMatch(/^Objects {2}i=85 {2}Object/);
    expect(r.stdout).toMatch(/└─ Plant {2}ns=\d+;s=Plant {2}Object/);
    expect(r.stderr).toContain('SignAndEncrypt/Basic256Sha256, anonymous');
  });

  it('refuses an unknown server certificate with the fingerprint and the command that trusts it (exit 3)', async () => {
    const r = await runCli(['browse', t.url], { env: env(fresh) });
    clean(r);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^iiot: error: .*the server's certificate is not trusted/m);
    expect(r.stderr).toContain(serverSha256);
    expect(r.stderr).toMatch(/hint: .*iiot pki trust [0-9a-f]{16}/);
    const list = await runCli(['pki', 'list', '--json'], { env: env(fresh) });
    const doc = JSON.parse(list.stdout) as { schema: string; certificates: Array<{ status: string; sha256: string }> };
    expect(doc.schema).toBe('iiot.pki/1');
    expect(doc.certificates).toEqual([expect.objectContaining({ status: 'rejected', sha256: serverSha256 })]);
  });

  it('trusts on first use when asked, printing the fingerprint, and remembers it', async () => {
    const r = await runCli(['browse', t.url, '--trust-on-first-use', '--depth', '0'], { env: env(tofu) });
    clean(r);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('trusting the server certificate');
    expect(r.stderr).toContain(`SHA-256  ${serverSha256}`);
    const list = await runCli(['pki', 'list'], { env: env(tofu) });
    expect(list.stdout).toMatch(/trusted\s+iiot simulated plant/);
    const again = await runCli(['browse', t.url, '--depth', '0'], { env: env(tofu) });
    expect(again.code).toBe(0);
    expect(again.stderr).not.toContain('first use');
  });

  it('exports a subtree as CSV to a file', async () => {
    const file = join(tempDir('csv'), 'plant.csv');
    const r = await runCli(['browse', t.url, '/Objects/Plant', '--all', '--csv', '-o', file, '--security-mode', 'None'], { env: env() });
    clean(r);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('node_id,browse_path,node_class,data_type,unit,access,display_name,eu_low,eu_high');
    const powerLine = lines.find((l) => l.startsWith(`${power},`));
    expect(powerLine).toMatch(
      new RegExp(`^${power.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')},/Objects/\\d+:Plant/\\d+:Incomer/\\d+:\\w+,Variable,Double,kW,rh?,`),
    );
    expect(lines.some((l) => l.startsWith('#'))).toBe(false); // complete: no PARTIAL line
  });

  it('exports a subtree as a JSON tree', async () => {
    const r = await runCli(['browse', t.url, plantNode, '--all', '--json', '--security-mode', 'None'], { env: env() });
    clean(r);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as {
      schema: string;
      complete: boolean;
      root: { nodeId: string; path: string };
      nodes: Array<{ nodeId: string; children?: unknown[] }>;
      stats: { requests: number };
    };
    expect(doc.schema).toBe('iiot.browse/1');
    expect(doc.complete).toBe(true);
    expect(doc.root).toEqual({ nodeId: plantNode, path: `/Objects/${t.plant.opcua!.namespaceIndex}:Plant` });
    expect(doc.nodes).toHaveLength(1);
    expect(doc.nodes[0]!.nodeId).toBe(plantNode);
    expect(JSON.stringify(doc.nodes)).toContain(power);
    expect(doc.stats.requests).toBeGreaterThan(0);
  });

  it('writes a tag list that validates, with units and ranges', async () => {
    const file = join(tempDir('tags'), 'line3.tags');
    const r = await runCli(['browse', t.url, '/Objects/Plant', '--all', '--class', 'Variable', '--tags', file, '--security-mode', 'None'], {
      env: env(),
    });
    clean(r);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(''); // a full crawl written as a tag list keeps the terminal quiet
    expect(r.stderr).toMatch(/wrote \d+ tags to /);
    const list = readTagList(file);
    const tag = list.tags.find((x) => x.nodeId === power)!;
    const expected = t.plant.tags.find((x) => x.name === 'plant.power')!;
    expect(tag.unit).toBe(euUnit(expected.unit!).symbol);
    expect(tag.range).toEqual([...expected.range!]);
    expect(tag.dataType).toBe('Double');
    expect(tag.namespaceUri).toBe(t.plant.opcua!.namespaceUri);
    expect(list.endpoint).toBe(t.url);
  });

  it('reads values with status and both timestamps (--json)', async () => {
    const r = await runCli(['read', t.url, power, '/Objects/Server/ServerStatus/CurrentTime', '--json'], { env: env() });
    clean(r);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as {
      schema: string;
      values: Array<{
        nodeId: string;
        value: unknown;
        status: string;
        sourceTimestamp?: string;
        serverTimestamp?: string;
        dataType: string;
      }>;
    };
    expect(doc.schema).toBe('iiot.read/1');
    expect(doc.values.map((v) => v.nodeId)).toEqual([power, 'i=2258']);
    expect(doc.values[0]).toMatchObject({ status: 'Good', dataType: 'Double' });
    expect(typeof doc.values[0]!.value).toBe('number');
    expect(doc.values.every((v) => v.sourceTimestamp && v.serverTimestamp)).toBe(true);
  });

  it('names an unknown node and exits 2', async () => {
    const r = await runCli(['read', t.url, power, 'ns=2;s=NoSuchThing'], { env: env() });
    clean(r);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain(power); // what exists is still read
    expect(r.stderr).toMatch(/^iiot: error: .*no such node: ns=2;s=NoSuchThing \(BadNodeIdUnknown\)$/m);
    const path = await runCli(['browse', t.url, '/Objects/NoSuchFolder'], { env: env() });
    expect(path.code).toBe(2);
    expect(path.stderr).toContain('no "NoSuchFolder" under /Objects');
  });

  it('watches changes until --duration', async () => {
    const r = await runCli(['read', t.url, 'i=2258', '--watch', '--duration', '2s', '--interval', '200ms'], { env: env() });
    clean(r);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(1);
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT\S+Z\s+i=2258\s+\d{4}-/);
  });

  it('reads raw history (--history --json)', async () => {
    const r = await runCli(['read', t.url, power, '--history', '--from', 'now-10m', '--json'], { env: env() });
    clean(r);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { history: Array<{ nodeId: string; values: Array<{ sourceTimestamp: string }> }> };
    expect(doc.history[0]!.nodeId).toBe(power);
    expect(doc.history[0]!.values.length).toBeGreaterThan(30);
  });

  it('logs on with a password from the environment; a wrong one is exit 3 with one line', async () => {
    const ok = await runCli(['browse', t.url, '--depth', '0', '--user', USER.username], {
      env: env(main, { IIOT_PASSWORD: USER.password }),
    });
    clean(ok);
    expect(ok.code).toBe(0);
    expect(ok.stderr).toContain(`user "${USER.username}"`);
    const bad = await runCli(['browse', t.url, '--depth', '0', '--user', USER.username], { env: env(main, { IIOT_PASSWORD: 'nope' }) });
    clean(bad);
    expect(bad.code).toBe(3);
    expect(bad.stderr.trim().split('\n')).toHaveLength(2); // the error and its hint
    expect(bad.stderr).toContain(`denied access for user "${USER.username}"`);
    const argv = await runCli(['browse', t.url, '--user', USER.username, '--password', USER.password], { env: env() });
    expect(argv.code).toBe(2);
    expect(argv.stderr).toContain('--password is refused');
  });
});

describe('bad input and unreachable servers', () => {
  const pki = clientPki();
  const env = { IIOT_PKI_DIR: pki.paths.root };

  it('refuses malformed URLs, node ids and options before connecting (exit 2)', async () => {
    for (const args of [
      ['browse', 'opc.tcp://127.0.0.1:99999'],
      ['browse', '127.0.0.1:4840'],
      ['browse', 'opc.tcp://127.0.0.1:4840', 'ns=x;s=1'],
      ['read', 'opc.tcp://127.0.0.1:4840', 'i=abc'],
      ['browse', 'opc.tcp://127.0.0.1:4840', '--security-mode', 'Encrypted'],
      ['browse', 'opc.tcp://127.0.0.1:4840', '--class', 'Thing'],
      ['browse', 'opc.tcp://127.0.0.1:4840', '--csv', '--json'],
      ['read', 'opc.tcp://127.0.0.1:4840', 'i=85', '--watch', '--history'],
      ['pki', 'trust', 'not-a-fingerprint'],
    ]) {
      const r = await runCli(args, { env });
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(/^iiot: error: /);
      clean(r);
    }
  });

  it('reports a closed port as exit 3 at once', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as { port: number }).port;
    await new Promise((r) => probe.close(r));
    const r = await runCli(['browse', `opc.tcp://127.0.0.1:${port}`, '--timeout', '3s'], { env });
    clean(r);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`nothing is listening at 127.0.0.1:${port}`);
  });

  it("shows and creates iiot's own certificate", async () => {
    const r = await runCli(['pki', 'show', '--json'], { env });
    clean(r);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { certificate: { file: string; sha256: string; applicationUri: string } };
    expect(doc.certificate.file).toBe(join(pki.paths.root, 'own', 'certs', 'client_certificate.pem'));
    expect(doc.certificate.applicationUri).toMatch(/^urn:.+:iiot$/);
    expect(inspectCertificate(readFileSync(doc.certificate.file)).sha256).toBe(doc.certificate.sha256);
  });
});
