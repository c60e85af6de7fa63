import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Pki } from '../../../src/protocols/opcua/pki.js';

const dir = mkdtempSync(join(tmpdir(), 'iiot-pki-race-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("iiot's own certificate", () => {
  it('is created once when several sessions of one process ask for it at the same time', async () => {
    // a recording from two OPC UA servers: two sources, two Pki objects, one fresh store
    const stores = [new Pki(dir), new Pki(dir), new Pki(dir)];
    try {
      const owns = await Promise.all(stores.map((p) => p.ownCertificate()));
      expect(new Set(owns.map((o) => o.info.sha256)).size).toBe(1);
      expect(owns.filter((o) => o.created)).toHaveLength(1);
      expect(owns[0]!.applicationUri).toMatch(/^urn:.+:iiot$/);
      // nothing half-written left beside it
      expect(readdirSync(join(dir, 'own', 'certs')).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    } finally {
      await Promise.all(stores.map((p) => p.close()));
    }
  });
});
