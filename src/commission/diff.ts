import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { usageError } from '../core/errors.js';
import { ExitCode } from '../core/exit-codes.js';
import { emitJson, out, type IO } from '../core/io.js';
import { renderTable } from '../render/table.js';
import { REPORT_SCHEMA, type CommissionReport } from './handover/report.js';

/**
 * `iiot commission diff old/ new/`: what changed since the last acceptance — devices found or
 * gone, identity (firmware revision, product), certificates, signal units and ranges, latency,
 * and items whose verdict changed. Reads the two report.json files; exit 0 either way (a
 * difference is information, not a failure), 2 when a folder is not a handover.
 */

export interface Change {
  area: 'device' | 'identity' | 'certificate' | 'signal' | 'latency' | 'item';
  subject: string;
  what: string;
  old?: string | undefined;
  new?: string | undefined;
}

function readReport(dir: string): CommissionReport {
  const file = join(dir, 'report.json');
  if (!existsSync(file)) throw usageError(`${dir}: no report.json`, 'name two folders written by `iiot commission run -o`');
  let r: CommissionReport;
  try {
    r = JSON.parse(readFileSync(file, 'utf8')) as CommissionReport;
  } catch (err) {
    throw usageError(
      `${file}: cannot be read as JSON (${(err as Error).message.split('\n')[0]})`,
      `check it with \`iiot commission verify ${dir}\``,
    );
  }
  if (r?.schema !== REPORT_SCHEMA) throw usageError(`${file}: not an iiot commissioning report (schema ${String(r?.schema)})`);
  return r;
}

const show = (v: unknown) =>
  v === undefined || v === null
    ? '—'
    : typeof v === 'number'
      ? String(Number(v.toPrecision(4)))
      : typeof v === 'object'
        ? JSON.stringify(v)
        : String(v);

/** Relative change above which a signal's statistics count as changed. */
const RANGE_TOLERANCE = 0.1;

export function diffReports(a: CommissionReport, b: CommissionReport): Change[] {
  const changes: Change[] = [];
  const ids = [...new Set([...a.devices.map((d) => d.id), ...b.devices.map((d) => d.id)])];
  for (const id of ids) {
    const x = a.devices.find((d) => d.id === id);
    const y = b.devices.find((d) => d.id === id);
    if (!x || !y || x.found !== y.found) {
      changes.push({
        area: 'device',
        subject: id,
        what: !x ? 'added to the plan' : !y ? 'removed from the plan' : y.found ? 'found again' : 'no longer found',
        old: x ? (x.found ? x.url : 'not found') : undefined,
        new: y ? (y.found ? y.url : 'not found') : undefined,
      });
      continue;
    }
    if (x.url !== y.url) changes.push({ area: 'device', subject: id, what: 'URL', old: x.url, new: y.url });
    const keys = [...new Set([...Object.keys(x.identity ?? {}), ...Object.keys(y.identity ?? {})])].filter(
      (k) => !['connack', 'capabilities'].includes(k),
    );
    for (const k of keys) {
      const o = x.identity?.[k];
      const n = y.identity?.[k];
      if (JSON.stringify(o) !== JSON.stringify(n)) changes.push({ area: 'identity', subject: id, what: k, old: show(o), new: show(n) });
    }
    if (x.certificate?.sha256 !== y.certificate?.sha256)
      changes.push({
        area: 'certificate',
        subject: id,
        what: 'certificate',
        old: x.certificate ? `${x.certificate.sha256.slice(0, 16)}… until ${x.certificate.notAfter}` : '—',
        new: y.certificate ? `${y.certificate.sha256.slice(0, 16)}… until ${y.certificate.notAfter}` : '—',
      });
  }
  const tags = [...new Set([...a.signals.map((s) => s.tag), ...b.signals.map((s) => s.tag)])];
  for (const tag of tags) {
    const x = a.signals.find((s) => s.tag === tag);
    const y = b.signals.find((s) => s.tag === tag);
    if (!x || !y) {
      changes.push({ area: 'signal', subject: tag, what: !x ? 'added' : 'removed' });
      continue;
    }
    if ((x.unit ?? '') !== (y.unit ?? ''))
      changes.push({ area: 'signal', subject: tag, what: 'unit', old: show(x.unit), new: show(y.unit) });
    for (const k of ['min', 'max', 'mean'] as const) {
      const o = x[k];
      const n = y[k];
      if (o === undefined || n === undefined) {
        if (o !== n) changes.push({ area: 'signal', subject: tag, what: k, old: show(o), new: show(n) });
        continue;
      }
      const scale = Math.max(Math.abs(o), Math.abs(n), 1e-9);
      if (Math.abs(n - o) / scale > RANGE_TOLERANCE) changes.push({ area: 'signal', subject: tag, what: k, old: show(o), new: show(n) });
    }
  }
  for (const y of b.latency) {
    const x = a.latency.find((l) => l.device === y.device);
    for (const s of y.series) {
      const o = x?.series.find((t) => t.label === s.label);
      if (!o || o.p99 === undefined || s.p99 === undefined) continue;
      if (Math.abs(s.p99 - o.p99) > Math.max(1, 0.25 * o.p99))
        changes.push({ area: 'latency', subject: y.device, what: `${s.label} p99 (ms)`, old: show(o.p99), new: show(s.p99) });
    }
  }
  const itemIds = [...new Set([...a.items.map((i) => i.id), ...b.items.map((i) => i.id)])];
  for (const id of itemIds) {
    const x = a.items.find((i) => i.id === id);
    const y = b.items.find((i) => i.id === id);
    if (x?.status !== y?.status)
      changes.push({ area: 'item', subject: id, what: 'verdict', old: x?.status ?? 'not judged', new: y?.status ?? 'not judged' });
  }
  return changes;
}

export async function runDiff(io: IO, oldDir: string, newDir: string): Promise<number> {
  const a = readReport(oldDir);
  const b = readReport(newDir);
  const changes = diffReports(a, b);
  if (io.json) {
    emitJson(io, 'iiot.commission-diff/1', {
      old: { dir: oldDir, job: a.job.id, finishedAt: a.finishedAt, accepted: a.accepted },
      new: { dir: newDir, job: b.job.id, finishedAt: b.finishedAt, accepted: b.accepted },
      changes,
    });
    return ExitCode.Ok;
  }
  out(
    io,
    `${a.job.id} (${a.finishedAt.slice(0, 10)}, ${a.accepted ? 'accepted' : 'not accepted'}) → ${b.job.id} (${b.finishedAt.slice(0, 10)}, ${b.accepted ? 'accepted' : 'not accepted'}): ${changes.length} change${changes.length === 1 ? '' : 's'}`,
  );
  if (changes.length) {
    out(
      io,
      renderTable(changes, [
        { header: 'area', value: (c) => c.area },
        { header: 'subject', value: (c) => c.subject },
        { header: 'what', value: (c) => c.what },
        { header: 'old', value: (c) => c.old ?? '' },
        { header: 'new', value: (c) => c.new ?? '' },
      ]),
    );
  }
  return ExitCode.Ok;
}
