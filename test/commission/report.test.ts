/**
 * The page the plant owner signs and the terminal summary, from a report written by hand: the
 * verdict first, what blocks it apart from what only failed optionally, every text escaped, the
 * fingerprint of the signing certificate above the signature lines, A4 print.
 */
import { describe, expect, it } from 'vitest';
import { toHtml } from '../../src/commission/handover/html.js';
import type { CommissionReport } from '../../src/commission/handover/report.js';
import type { Item } from '../../src/commission/items.js';
import { renderSummary } from '../../src/commission/render.js';
import { captureIO } from '../helpers/io.js';

const FP = 'ab'.repeat(32);
const item = (id: string, status: Item['status'], over: Partial<Item> = {}): Item => {
  const [group, subject] = id.split('/') as [Item['group'], string];
  return { id, group, subject, title: `${subject} ${id.split('/').pop()}`, status, mustPass: true, observed: `seen for ${id}`, ...over };
};

function report(over: Partial<CommissionReport> = {}): CommissionReport {
  const items = [
    item('device/plc/found', 'pass'),
    item('device/spare/found', 'fail', { mustPass: false }),
    item('signal/PT-101/range', 'fail', {
      title: 'PT-101 <script>alert(1)</script> stays within 0…16 bar',
      observed: '17.2 > 16 & rising',
    }),
    item('signal/PT-101/present', 'pass'),
    item('security/plc/opcua-mode-none', 'waived', {
      waiver: { item: 'security/plc/*', reason: 'legacy HMI <until phase 2>', by: 'J. Owner "ACME"' },
    }),
  ];
  return {
    schema: 'iiot.commission/1',
    tool: 'iiot 0.1.0',
    site: { name: 'Line 3 <Hall 2>', owner: 'ACME & Sons' },
    job: { id: 'SAT-1', engineer: 'P. Nair' },
    startedAt: '2026-12-07T08:00:00.000Z',
    finishedAt: '2026-12-07T08:06:00.000Z',
    durationMs: 360_000,
    accepted: false,
    counts: { pass: 2, fail: 2, waived: 1, total: 5 },
    blocking: ['signal/PT-101/range'],
    items,
    devices: [{ id: 'plc', url: 'opc.tcp://127.0.0.1:4840', protocol: 'opcua', found: true, name: 'PLC <1>' }],
    signals: [
      {
        tag: 'PT-101',
        device: 'plc',
        samples: 1,
        bad: 0,
        min: 17.2,
        max: 17.2,
        last: 17.2,
        distinct: 1,
        longestSilenceMs: 300_000,
        longestUnconfirmedMs: 0,
        byException: true,
        increasing: false,
        unit: 'bar',
      },
      {
        tag: 'spare',
        device: 'spare',
        samples: 0,
        bad: 0,
        distinct: 0,
        longestSilenceMs: 300_000,
        longestUnconfirmedMs: 300_000,
        byException: false,
        increasing: false,
      },
    ],
    latency: [],
    security: [],
    window: { from: '2026-12-07T08:01:00.000Z', to: '2026-12-07T08:06:00.000Z', ms: 300_000 },
    loopChecks: [],
    unusedWaivers: [{ item: 'security/brokr/*', reason: 'typo', by: 'me' }],
    notes: [],
    signer: { subject: 'O=iiot, CN=iiot@laptop', certificateSha256: FP },
    ...over,
  };
}

describe('report.html', () => {
  const html = toHtml(report(), [{ file: 'evidence/plan.yaml', sha256: 'cd'.repeat(32), bytes: 1838 }]);

  it('escapes every text that came from the plan or a device', () => {
    expect(html).not.toContain('<script>');
    expect(html).toContain('PT-101 &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('Line 3 &lt;Hall 2&gt;');
    expect(html).toContain('legacy HMI &lt;until phase 2&gt;');
    expect(html).toContain('17.2 &gt; 16 &amp; rising');
  });

  it('puts the verdict first, and what blocks it apart from what only failed optionally', () => {
    const at = (text: string) => html.indexOf(text);
    expect(at('NOT ACCEPTED: 2 passed, 2 failed, 1 waived of 5 items')).toBeLessThan(at('<h2>'));
    expect(at('Items that block acceptance')).toBeLessThan(at('Failed optional items'));
    const blockingList = html.slice(at('Items that block acceptance'), at('Failed optional items'));
    expect(blockingList).toContain('signal/PT-101/range');
    expect(blockingList).not.toContain('device/spare/found');
    expect(html.slice(at('Failed optional items'), at('<h2>'))).toContain('device/spare/found');
    expect(at('<h2>Waivers</h2>')).toBeLessThan(at('<h2>Signals at a glance</h2>'));
    expect(html).toContain('matched no item of this run');
  });

  it('gives each signal its result; a steady value reported on change is marked so, an absent one shows no silence', () => {
    const glance = html.slice(
      html.indexOf('<h2>Signals at a glance</h2>'),
      html.indexOf('</table>', html.indexOf('<h2>Signals at a glance</h2>')),
    );
    expect(glance).toMatch(/<td>PT-101<\/td><td>plc<\/td><td><span class="fail">FAIL<\/span> range<\/td>/);
    expect(glance).toContain('300.0 s <span class="opt">(on change)</span>');
    expect(glance).toMatch(/<td>spare<\/td>.*<td class="n"><\/td><\/tr><\/tbody>$/);
  });

  it("prints the signing certificate's fingerprint and the verify command above the signature lines, for A4", () => {
    expect(html.indexOf(FP)).toBeLessThan(html.indexOf('Plant owner: ACME &amp; Sons'));
    expect(html).toContain(`iiot commission verify &lt;handover folder&gt; --signer ${FP}`);
    expect(html).toContain('@page{size:A4');
  });
});

describe('the terminal summary', () => {
  it('says the verdict, what blocks it, what failed optionally, and how to check the handover later', () => {
    const { io } = captureIO();
    const text = renderSummary(io, report(), '/site/handover');
    expect(text.split('\n')[0]).toMatch(/^NOT ACCEPTED {2}Line 3 <Hall 2>, job SAT-1: 2 passed, 2 failed, 1 waived of 5 items/);
    expect(text).toMatch(
      /Blocking acceptance:\n {2}✘ PT-101 .* — 17\.2 > 16 & rising\n\nFailed, optional \(not blocking\):\n {2}✘ spare found/,
    );
    expect(text).toContain(`iiot commission verify /site/handover --signer ${FP}`);
  });
});
