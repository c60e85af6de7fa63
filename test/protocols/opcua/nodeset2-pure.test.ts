/**
 * The NodeSet2 pieces that need no server: the XML writer's escaping (checked by libxml2, through
 * xmllint, reading back what was written), the header of NodeSet2 files written by others (the
 * companion nodesets node-opcua ships), the twin's load plan, and the choice of what is copied.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nodesets } from 'node-opcua';
import { afterAll, describe, expect, it } from 'vitest';
import { IiotError } from '../../../src/core/errors.js';
import { shippedNodesets } from '../../../src/protocols/opcua/nodeset2/catalog.js';
import { parseNodeSetHeader } from '../../../src/protocols/opcua/nodeset2/header.js';
import { planTwin } from '../../../src/protocols/opcua/nodeset2/plan.js';
import { splitNamespaces } from '../../../src/protocols/opcua/nodeset2/scope.js';
import { readHeaderOf } from '../../../src/protocols/opcua/nodeset2/twin-server.js';
import { escapeAttribute, escapeText, XmlWriter } from '../../../src/protocols/opcua/nodeset2/xml.js';
import { removeTempDirs, tempDir } from '../../helpers/opcua-plant.js';

afterAll(removeTempDirs);

/** What libxml2 reads back from an attribute and an element written by XmlWriter. */
function readBack(value: string): { attribute: string; text: string; replaced: number } {
  const chunks: string[] = [];
  const w = new XmlWriter((c) => chunks.push(c));
  w.open('r')
    .leaf('a', [['v', value]], value)
    .close()
    .end();
  const file = join(tempDir('xml'), 'x.xml');
  writeFileSync(file, chunks.join(''));
  // xmllint ends what it prints with a newline of its own
  const q = (xpath: string) => execFileSync('xmllint', ['--xpath', xpath, file], { encoding: 'utf8' }).replace(/\n$/, '');
  return { attribute: q('string(/r/a/@v)'), text: q('string(/r/a)'), replaced: w.counter.replaced };
}

describe('the XML writer', () => {
  it('escapes markup so libxml2 reads back exactly what was written, in attributes and in text', () => {
    for (const s of [
      'a & b < c > d',
      'say "hi" and \'bye\'',
      ']]> is not the end',
      'tab\there',
      'line\nbreak',
      'cr\rlf',
      'ümlaut °C µs ≤ 😀',
      '&amp; stays literal',
    ]) {
      const r = readBack(s);
      expect(r.attribute).toBe(s);
      expect(r.replaced).toBe(0);
    }
  });

  it('writes characters XML 1.0 cannot hold as U+FFFD and counts them, so the document stays well-formed', () => {
    const r = readBack('bell\u0007 nul\u0000 lone\uD800 ok');
    expect(r.attribute).toBe('bell\uFFFD nul\uFFFD lone\uFFFD ok');
    expect(r.text).toBe('bell\uFFFD nul\uFFFD lone\uFFFD ok');
    expect(r.replaced).toBe(6); // three in the attribute, three in the text
  });

  it('escapes by hand-checked rules', () => {
    expect(escapeText('<a&b>')).toBe('&lt;a&amp;b&gt;');
    expect(escapeAttribute('"x"\t\n')).toBe('&#34;x&#34;&#9;&#10;');
    // a surrogate pair is one character, not two lone halves
    expect(escapeText('😀')).toBe('😀');
  });
});

describe("NodeSet2 headers and the twin's load plan", () => {
  it('reads the models of files written by others: the DI and Machinery nodesets node-opcua ships', () => {
    const di = parseNodeSetHeader(execFileSync('head', ['-c', '20000', nodesets.di], { encoding: 'utf8' }));
    expect(di.models.map((m) => m.uri)).toEqual(['http://opcfoundation.org/UA/DI/']);
    // the version and date exactly as the file's <Model> says them
    const raw = execFileSync('grep', ['-m1', '-o', '<Model [^>]*', nodesets.di], { encoding: 'utf8' });
    expect(raw).toContain(`Version="${di.models[0]!.version}"`);
    expect(raw).toContain(`PublicationDate="${di.models[0]!.publicationDate}"`);
    const machinery = readHeaderOf(nodesets.machinery);
    expect(machinery.models[0]!.required.map((r) => r.uri)).toContain('http://opcfoundation.org/UA/DI/');
  });

  it("loads what a file requires in the exported server's namespace order, what those require first, and names a model node-opcua does not ship", async () => {
    const shipped = await shippedNodesets();
    const header = parseNodeSetHeader(`<UANodeSet><NamespaceUris><Uri>urn:plc</Uri></NamespaceUris><Models>
      <Model ModelUri="urn:plc"><RequiredModel ModelUri="http://opcfoundation.org/UA/"/><RequiredModel ModelUri="http://opcfoundation.org/UA/Machinery/" Version="1.04.1"/></Model></Models>
      <Extensions><Extension><Export xmlns="urn:iiot:nodeset2:export" Complete="false" PartialReason="interrupted"><ServerNamespaces>
      <Uri>http://opcfoundation.org/UA/</Uri><Uri>urn:plc:server</Uri><Uri>urn:plc</Uri><Uri>http://opcfoundation.org/UA/DI/</Uri><Uri>http://opcfoundation.org/UA/IA/</Uri><Uri>http://opcfoundation.org/UA/Machinery/</Uri>
      </ServerNamespaces></Export></Extension></Extensions><UAObject NodeId="ns=1;s=X" BrowseName="1:X"/></UANodeSet>`);
    expect(header.export).toMatchObject({ complete: false, partialReason: 'interrupted' });
    const plan = planTwin('plc.xml', header, shipped, readHeaderOf, '127.0.0.1');
    // urn:plc was index 2 on the server, before DI (3), IA (4) and Machinery (5): the file comes first
    expect(plan.files).toEqual([nodesets.standard, 'plc.xml', nodesets.di, nodesets.ia, nodesets.machinery]);
    expect(plan.applicationUri).toBe('urn:plc:server');

    const missing = parseNodeSetHeader(
      '<UANodeSet><Models><Model ModelUri="urn:plc"><RequiredModel ModelUri="http://example.com/UA/Unshipped/" Version="2.0"/></Model></Models></UANodeSet>',
    );
    let err: unknown;
    try {
      planTwin('plc.xml', missing, shipped, readHeaderOf, '127.0.0.1');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(IiotError);
    expect((err as IiotError).message).toContain('http://example.com/UA/Unshipped/ 2.0');
    expect((err as IiotError).hint).toContain('--copy-namespace http://example.com/UA/Unshipped/');
  });

  it("copies the server's own namespaces and references namespace 0 and the companion specifications", async () => {
    const shipped = new Set((await shippedNodesets()).keys());
    const split = splitNamespaces(
      [
        'http://opcfoundation.org/UA/',
        'urn:plc:server',
        'http://opcfoundation.org/UA/DI/',
        'http://PLCopen.org/OpcUa/IEC61131-3/',
        'http://www.siemens.com/simatic-s7-opcua',
      ],
      shipped,
    );
    expect(split.own.has(1)).toBe(true); // the server's own URI
    expect(split.own.has(4)).toBe(true); // a vendor namespace
    expect(split.own.has(2)).toBe(false); // DI
    expect(split.companions).toContain(0);
    expect(split.companions).toContain(2);
    expect([
      ...splitNamespaces(
        ['http://opcfoundation.org/UA/', 'urn:s', 'http://opcfoundation.org/UA/DI/'],
        shipped,
        new Set(['http://opcfoundation.org/UA/DI/']),
      ).own,
    ]).toEqual([1, 2]);
  });
});
