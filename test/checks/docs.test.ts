import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RULES } from '../../src/checks/security/rules.js';

const doc = readFileSync(new URL('../../docs/security-checks.md', import.meta.url), 'utf8');

describe('docs/security-checks.md', () => {
  it('lists every rule with its severity, rationale, source and remedy, and no rule that does not exist', () => {
    for (const r of RULES) {
      expect(doc).toContain(`### \`${r.id}\` — ${r.severity}`);
      expect(doc).toContain(`| [\`${r.id}\`]`);
      expect(doc).toContain(`- Why: ${r.rationale}`);
      expect(doc).toContain(`- Source: ${r.source}`);
      expect(doc).toContain(`- Remedy: ${r.remedy}`);
    }
    const documented = [...doc.matchAll(/^### `([a-z0-9-]+)`/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual(RULES.map((r) => r.id).sort());
  });
});
