/** The demo's summary for people, and the commands to try next. */
import type { IO } from '../core/io.js';
import { renderTable } from '../render/table.js';
import type { DemoAnalysis } from './analysis-step.js';
import type { DemoCommission } from './commission-step.js';
import { RECORD_SECONDS, type DemoRecording, type DemoSecurity, type Glimpse, type InventoryRow } from './plant-steps.js';

export function nextCommands(): string[] {
  return [
    'iiot sim                                        # keep the plant running (ports 4840, 5020, 1883)',
    'iiot discover 127.0.0.1 --ports 5020:modbus --json -o inventory.json',
    'iiot browse opc.tcp://127.0.0.1:4840 /Objects/Plant --depth 2 --attributes --trust-on-first-use',
    'iiot record mqtt://127.0.0.1:1883 --topic "plant/#" -o plant.jsonl --duration 30s',
    'iiot check security --inventory inventory.json --sarif plant.sarif',
    'iiot sim --generate --days 21 -o plant.jsonl.gz',
    'iiot capture info plant.jsonl.gz',
    'iiot analyze degradation plant.jsonl.gz --tag pump1.vibration --threshold zone:C/D --report pump.html',
    'iiot analyze energy plant.jsonl.gz --report energy.html',
    'iiot commission init 127.0.0.1 --ports 4840:opcua,5020:modbus,1883:mqtt -o sat.yaml',
    'iiot commission run sat.yaml -o handover/',
  ];
}

export interface DemoSections {
  inventory: InventoryRow[];
  glimpse: Glimpse | undefined;
  recording: DemoRecording | undefined;
  security: DemoSecurity | undefined;
  analysis: DemoAnalysis | undefined;
  commission: DemoCommission | undefined;
}

export function render(io: IO, d: DemoSections, seconds: number): string {
  const s = io.style;
  const lines: string[] = ['', s.bold('What is there (iiot discover)')];
  lines.push(
    renderTable(
      d.inventory,
      [
        { header: 'protocol', value: (r) => r.protocol },
        { header: 'device', value: (r) => r.url },
        { header: 'identity', value: (r) => r.what },
      ],
      { indent: '  ' },
    ),
  );
  const { glimpse, recording, security, analysis } = d;
  if (glimpse) {
    lines.push(
      '',
      s.bold(`A glimpse of the address space (iiot browse; ${glimpse.security}, ${glimpse.requests} requests for ${glimpse.nodes} nodes)`),
    );
    lines.push(
      renderTable(
        glimpse.variables.slice(0, 8),
        [
          { header: 'browse path', value: (v) => v.path },
          { header: 'node id', value: (v) => v.nodeId },
          { header: 'unit', value: (v) => v.unit ?? '' },
        ],
        { indent: '  ' },
      ),
    );
    if (glimpse.variables.length > 8) lines.push(s.dim(`  ... and ${glimpse.variables.length - 8} more variables`));
  }
  if (recording) {
    lines.push('', s.bold(`${RECORD_SECONDS} seconds of recording into one capture (iiot record; ${recording.samples} samples)`));
    lines.push(
      renderTable(
        recording.sources,
        [
          { header: 'source', value: (r) => `${r.id} (${r.protocol})` },
          { header: 'tags', value: (r) => String(r.tags), align: 'right' },
          { header: 'samples', value: (r) => String(r.samples), align: 'right' },
          { header: 'for example', value: (r) => r.example ?? '' },
        ],
        { indent: '  ' },
      ),
    );
  }
  if (security) {
    const summary = Object.entries(security.counts)
      .filter(([, n]) => n > 0)
      .map(([k, n]) => `${n} ${k}`)
      .join(', ');
    lines.push('', s.bold(`Security posture (iiot check security, passive): ${summary || 'no findings'}`));
    for (const f of security.findings.filter((x) => x.severity === 'critical' || x.severity === 'high').slice(0, 5)) {
      lines.push(`  ${f.severity === 'critical' ? s.red(f.severity) : s.yellow(f.severity)}  ${f.target}  ${f.title}`);
    }
    lines.push(s.dim('  (the default simulated plant is deliberately open; `iiot sim --profile hardened` passes with no high finding)'));
  }
  if (analysis) {
    lines.push('', s.bold('Degradation (pump 1 bearing, iiot analyze degradation)'));
    for (const x of analysis.degradation) lines.push(`  ${x}`);
    lines.push('', s.bold('Energy (iiot analyze energy)'));
    for (const e of analysis.energy) lines.push(`  ${e}`);
    lines.push('', s.bold('Ground truth (the simulator knows)'));
    for (const t of analysis.truth) lines.push(`  ${t}`);
  }
  if (d.commission) {
    const c = d.commission;
    lines.push('', s.bold('Site acceptance test (iiot commission run)'));
    lines.push(
      `  ${c.accepted ? s.green('ACCEPTED') : s.red('NOT ACCEPTED')}: ${c.counts.pass} passed, ${c.counts.fail} failed, ${c.counts.waived} waived (the demo plant's open access, waived with a reason)`,
    );
    for (const f of c.failed.slice(0, 5)) lines.push(`  ${s.red('✘')} ${f}`);
    lines.push(
      `  handover: report.html, report.json, junit.xml, security.sarif, evidence/, a signed manifest${c.verified ? ' (iiot commission verify: intact)' : ''}`,
    );
  }
  lines.push('', s.bold('Try next'), ...nextCommands().map((c) => `  $ ${c}`), '', s.dim(`demo finished in ${seconds.toFixed(1)} s`));
  return lines.join('\n');
}
