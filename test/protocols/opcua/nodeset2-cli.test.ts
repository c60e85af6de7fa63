/**
 * `iiot browse --nodeset2`, `iiot sim --nodeset` and `iiot replay --nodeset` as a user meets
 * them when something is wrong: one line naming the problem, exit code 2, nothing overwritten; and
 * an export that is interrupted is written whole but marked partial, and still valid; and the first
 * command `iiot sim --nodeset` suggests works on the twin.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, ROOT, runCli } from '../../helpers/cli.js';
import { clientPki, removeTempDirs, startOpcUaPlant, tempDir } from '../../helpers/opcua-plant.js';
import { schemaErrors } from '../../helpers/nodeset2-twin.js';
import { startSim } from '../../helpers/sim.js';

afterAll(removeTempDirs);

const env = () => ({ IIOT_PKI_DIR: clientPki().paths.root });

describe('usage errors', () => {
  it('--nodeset2 needs --all, --values needs --nodeset2', async () => {
    const a = await runCli(['browse', 'opc.tcp://127.0.0.1:4840', '--nodeset2', '-o', 'x.xml'], { env: env() });
    expect(a.code).toBe(2);
    expect(a.stderr).toContain('--nodeset2 needs --all');
    const b = await runCli(['browse', 'opc.tcp://127.0.0.1:4840', '--all', '--values', '--csv'], { env: env() });
    expect(b.code).toBe(2);
    expect(b.stderr).toContain('--values belongs to --nodeset2');
  });

  it('refuses to overwrite a file without --force, before connecting', async () => {
    const file = join(tempDir('nodeset-cli'), 'plc.NodeSet2.xml');
    writeFileSync(file, 'precious');
    // port 1 on loopback: nothing listens, so getting past the check would fail differently
    const r = await runCli(['browse', 'opc.tcp://127.0.0.1:1', '--all', '--nodeset2', '-o', file], { env: env() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${file} already exists`);
    expect(r.stderr).toContain('--force');
    expect(readFileSync(file, 'utf8')).toBe('precious');
  });

  it('a twin whose NodeSet requires a model node-opcua does not ship: the model is named', async () => {
    const file = join(tempDir('nodeset-cli'), 'needs.NodeSet2.xml');
    writeFileSync(
      file,
      `<?xml version="1.0" encoding="utf-8"?>
<UANodeSet xmlns="http://opcfoundation.org/UA/2011/03/UANodeSet.xsd">
  <NamespaceUris><Uri>urn:plc</Uri><Uri>http://example.com/UA/Unshipped/</Uri></NamespaceUris>
  <Models><Model ModelUri="urn:plc" Version="1.0"><RequiredModel ModelUri="http://opcfoundation.org/UA/" /><RequiredModel ModelUri="http://example.com/UA/Unshipped/" Version="3.1" /></Model></Models>
  <UAObject NodeId="ns=1;s=X" BrowseName="1:X"><DisplayName>X</DisplayName></UAObject>
</UANodeSet>
`,
    );
    const r = await runCli(['sim', '--nodeset', file, '--no-modbus', '--no-mqtt', '--opcua-port', '0', '--pki-dir', tempDir('twin-pki')], {
      env: env(),
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('requires the model http://example.com/UA/Unshipped/ 3.1');
    expect(r.stderr).toContain('--copy-namespace');
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('a NodeSet file that is not there, or not a NodeSet', async () => {
    const dir = tempDir('nodeset-cli');
    const missing = await runCli(['sim', '--nodeset', join(dir, 'nope.xml'), '--no-modbus', '--no-mqtt', '--opcua-port', '0'], {
      env: env(),
    });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('cannot read it (ENOENT)');
    writeFileSync(join(dir, 'tags.xml'), '<tags><tag name="x"/></tags>');
    const wrong = await runCli(['sim', '--nodeset', join(dir, 'tags.xml'), '--no-modbus', '--no-mqtt', '--opcua-port', '0'], {
      env: env(),
    });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('not a UANodeSet document');
  });

  it('--nodeset belongs to --to opcua', async () => {
    const r = await runCli(['replay', 'cap.jsonl', '--to', 'modbus', '--nodeset', 'plc.xml'], { env: env() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--nodeset is for --to opcua');
  });
});

describe('an interrupted export', () => {
  it('is written whole, marked PARTIAL in a comment and in the iiot extension, still valid, and exits 130', async () => {
    // enough nodes under tight limits that the export is still running when Ctrl-C comes
    const plant = await startOpcUaPlant({
      extraNodes: 20_000,
      limits: { maxNodesPerBrowse: 5, maxNodesPerRead: 5, maxBrowseContinuationPoints: 2, maxReferencesPerNode: 10 },
    });
    try {
      const dir = tempDir('nodeset-partial');
      const file = join(dir, 'plc.NodeSet2.xml');
      const child = spawn(process.execPath, [BIN, 'browse', plant.url, '--all', '--nodeset2', '-o', file, '--security-mode', 'None'], {
        cwd: ROOT,
        env: { ...process.env, NO_COLOR: '1', ...env() },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<number | null>((r) => child.once('exit', r));
      // the temporary file appears once the session is open and the crawl begins
      while (!readdirSync(dir).some((f) => f.includes('.tmp-'))) await new Promise((r) => setTimeout(r, 50));
      await new Promise((r) => setTimeout(r, 500));
      child.kill('SIGINT');
      expect(await exited).toBe(130);
      expect(stderr).toContain('PARTIAL');
      expect(existsSync(file)).toBe(true);
      const xml = readFileSync(file, 'utf8');
      expect(xml).toMatch(/^<\?xml[^\n]*\n<!-- PARTIAL EXPORT: interrupted/);
      expect(xml).toContain('Complete="false" PartialReason="interrupted"');
      expect(schemaErrors(file)).toBe('');
      expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
    } finally {
      await plant.stop();
    }
  }, 300_000);
});

describe('sim --nodeset: the first steps it prints', () => {
  it("suggests browsing the twin's own folders (not the plant's), and that command shows the exported object", async () => {
    const file = join(tempDir('nodeset-cli'), 'plc.NodeSet2.xml');
    writeFileSync(
      file,
      `<?xml version="1.0" encoding="utf-8"?>
<UANodeSet xmlns="http://opcfoundation.org/UA/2011/03/UANodeSet.xsd">
  <NamespaceUris><Uri>urn:plc</Uri></NamespaceUris>
  <Models><Model ModelUri="urn:plc" Version="1.0"><RequiredModel ModelUri="http://opcfoundation.org/UA/" /></Model></Models>
  <UAObject NodeId="ns=1;s=Line" BrowseName="1:Line" ParentNodeId="i=85">
    <DisplayName>Line</DisplayName>
    <References><Reference ReferenceType="Organizes" IsForward="false">i=85</Reference><Reference ReferenceType="HasTypeDefinition">i=58</Reference></References>
  </UAObject>
</UANodeSet>
`,
    );
    const sim = await startSim(['--nodeset', file, '--no-modbus', '--no-mqtt', '--pki-dir', tempDir('twin-pki')]);
    try {
      const suggested = /try:\n\s+iiot (browse .*)\n/.exec(sim.log())?.[1];
      expect(suggested).toBe(`browse ${sim.endpoints.opcua} /Objects --depth 2`);
      const r = await runCli([...suggested!.split(' '), '--security-mode', 'None']);
      expect(r.code, r.stderr).toBe(0);
      // (a hand-written file carries no namespace table of a server: its namespace goes after the twin's own)
      expect(r.stdout).toMatch(/└─ Line\s+ns=\d+;s=Line\s+Object\n/);
    } finally {
      await sim.stop();
    }
  });
});
