/**
 * Run-to-failure and running histories for the fleet model, from the files users have:
 * - NASA C-MAPSS text as published (`--format cmapss`): whitespace-separated numbers, no header,
 *   one row per unit and cycle: unit, cycle, three operating settings, then the sensors; several
 *   units per file; plain or gzip (recognised by its magic bytes);
 * - iiot captures (`--format capture`), one asset each: numeric tags resampled onto a time grid of
 *   `step` (the mean of each tag per step, the last value carried over an empty step), so that a
 *   step plays the part of a cycle.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { openCaptureSet } from '../capture/capture-set.js';
import { fileError } from '../capture/fs-errors.js';
import { timeMs } from '../capture/reader.js';
import { usageError } from '../core/errors.js';
import type { FleetUnit } from '../analysis/fleet-rul.js';
import { median } from '../analysis/stats.js';
import type { HistoryFormat } from './options.js';

export interface History {
  unit: FleetUnit;
  /** the unit's name: C-MAPSS unit number (file#unit with several files) or the capture's file name */
  name: string;
  file: string;
  /** captures: the end of the last step (epoch ms) */
  last?: number;
}

export interface Histories {
  format: 'cmapss' | 'capture';
  settings: string[];
  sensors: string[];
  /** what one row stands for */
  unit: 'cycle' | 'hour';
  /** captures: the grid step */
  stepMs?: number;
  histories: History[];
  notes: string[];
}

export interface HistoryRequest {
  format: HistoryFormat;
  settings: string[];
  sensors: string[];
  stepMs?: number;
  /** predict: the model's columns, which every history must have */
  expect?: { settings: string[]; sensors: string[] };
  warn?: (text: string) => void;
}

const CMAPSS_SETTINGS = 3;

async function bytes(file: string): Promise<Buffer> {
  let b: Buffer;
  try {
    b = await readFile(file);
  } catch (err) {
    throw fileError('read', file, err);
  }
  if (b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b) {
    try {
      return gunzipSync(b);
    } catch (err) {
      throw usageError(
        `${file}: the gzip stream is damaged (${err instanceof Error ? err.message : String(err)})`,
        'check the download, or give the unpacked file',
      );
    }
  }
  return b;
}

async function detect(file: string, format: HistoryFormat): Promise<'cmapss' | 'capture'> {
  if (format !== 'auto') return format;
  if (/\.jsonl(\.gz)?$/i.test(file)) return 'capture';
  if (/\.txt(\.gz)?$/i.test(file)) return 'cmapss';
  const head = (await bytes(file))
    .subarray(0, 256)
    .toString('utf8')
    .replace(/^\uFEFF/, '')
    .trimStart();
  if (head.startsWith('{')) return 'capture';
  if (/^[-+\d.]/.test(head)) return 'cmapss';
  throw usageError(
    `${file}: cannot tell what kind of history this is`,
    'say it with --format cmapss (C-MAPSS text) or --format capture (an iiot capture)',
  );
}

function cmapssColumns(sensors: number): { settings: string[]; sensors: string[] } {
  return {
    settings: Array.from({ length: CMAPSS_SETTINGS }, (_, i) => `setting${i + 1}`),
    sensors: Array.from({ length: sensors }, (_, i) => `s${i + 1}`),
  };
}

/** The units of one C-MAPSS text file. */
export function parseCmapss(text: string, file: string, qualify: boolean): History[] {
  const units = new Map<number, { unit: FleetUnit; lastCycle: number }>();
  let columns = 0;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    const cells = line.split(/\s+/);
    const f = cells.map(Number);
    const bad = f.findIndex((x) => !Number.isFinite(x));
    if (bad >= 0)
      throw usageError(
        `${file}:${i + 1}: column ${bad + 1} is "${cells[bad]}", not a number`,
        'C-MAPSS rows are numbers separated by spaces: unit, cycle, 3 settings, then the sensors',
      );
    if (columns === 0) {
      columns = f.length;
      if (columns < CMAPSS_SETTINGS + 3)
        throw usageError(
          `${file}:${i + 1}: ${columns} columns; a C-MAPSS row has unit, cycle, ${CMAPSS_SETTINGS} settings and at least one sensor`,
          'is this a C-MAPSS file? (--format)',
        );
    } else if (f.length !== columns)
      throw usageError(
        `${file}:${i + 1}: ${f.length} columns where the first row has ${columns}`,
        'every row of a C-MAPSS file has the same columns',
      );
    const id = f[0]!;
    const cycle = f[1]!;
    let u = units.get(id);
    if (!u)
      units.set(id, (u = { unit: { id: qualify ? `${basename(file)}#${id}` : id, settings: [], sensors: [] }, lastCycle: -Infinity }));
    if (!(cycle > u.lastCycle))
      throw usageError(
        `${file}:${i + 1}: unit ${id} cycle ${cycle} does not follow cycle ${u.lastCycle}`,
        'the rows of a unit must be in cycle order',
      );
    u.lastCycle = cycle;
    u.unit.settings.push(f.slice(2, 2 + CMAPSS_SETTINGS));
    u.unit.sensors.push(f.slice(2 + CMAPSS_SETTINGS));
  }
  if (units.size === 0) throw usageError(`${file}: no rows`, 'give a C-MAPSS text file (train_FD001.txt, test_FD001.txt, ...)');
  return [...units.values()].map(({ unit }) => ({ unit, name: String(unit.id), file }));
}

interface TagValues {
  t: number[];
  v: number[];
}

async function readCaptureValues(
  file: string,
  warn?: (text: string) => void,
): Promise<{ values: Map<string, TagValues>; declared: string[] }> {
  let issues = 0;
  const cap = await openCaptureSet([file], {
    onIssue: (i) => {
      if (++issues <= 3) warn?.(`${i.file}:${i.line}: ${i.message}`);
    },
  });
  const values = new Map<string, TagValues>();
  try {
    for await (const batch of cap.batches()) {
      for (const r of batch) {
        const tag = (r as { tag?: unknown }).tag;
        if (typeof tag !== 'string') continue;
        const v = (r as { v?: unknown }).v;
        const q = (r as { q?: unknown }).q;
        if (typeof v !== 'number' || !Number.isFinite(v) || (typeof q === 'string' && /^bad/i.test(q))) continue;
        let tv = values.get(tag);
        if (!tv) values.set(tag, (tv = { t: [], v: [] }));
        tv.t.push(timeMs(r.t));
        tv.v.push(v);
      }
    }
    return { values, declared: cap.tags().map((t) => t.name) };
  } finally {
    await cap.close();
  }
}

function spacing(tv: TagValues): number {
  const t = tv.t.slice().sort((a, b) => a - b);
  const d: number[] = [];
  for (let i = 1; i < t.length; i++) if (t[i]! > t[i - 1]!) d.push(t[i]! - t[i - 1]!);
  return d.length ? median(d) : Number.NaN;
}

/** One capture as rows on the step grid: settings and sensors per step. */
function captureRows(
  values: Map<string, TagValues>,
  settings: string[],
  sensors: string[],
  stepMs: number,
): { settings: number[][]; sensors: number[][]; last: number } {
  const cols = [...settings, ...sensors];
  let origin = Infinity;
  let end = -Infinity;
  for (const c of cols) for (const t of values.get(c)!.t) (origin = Math.min(origin, t)), (end = Math.max(end, t));
  const steps = Math.floor((end - origin) / stepMs) + 1;
  const sum = cols.map(() => new Float64Array(steps));
  const cnt = cols.map(() => new Uint32Array(steps));
  cols.forEach((c, k) => {
    const tv = values.get(c)!;
    for (let i = 0; i < tv.t.length; i++) {
      const b = Math.floor((tv.t[i]! - origin) / stepMs);
      sum[k]![b]! += tv.v[i]!;
      cnt[k]![b]!++;
    }
  });
  const lastValue = new Float64Array(cols.length).fill(Number.NaN);
  const outS: number[][] = [];
  const outX: number[][] = [];
  let last = origin;
  for (let b = 0; b < steps; b++) {
    for (let k = 0; k < cols.length; k++) if (cnt[k]![b]! > 0) lastValue[k] = sum[k]![b]! / cnt[k]![b]!;
    if (lastValue.some((x) => Number.isNaN(x))) continue;
    outS.push(Array.from(lastValue.subarray(0, settings.length)));
    outX.push(Array.from(lastValue.subarray(settings.length)));
    last = origin + (b + 1) * stepMs;
  }
  return { settings: outS, sensors: outX, last };
}

export async function readHistories(files: string[], req: HistoryRequest): Promise<Histories> {
  const notes: string[] = [];
  const formats = await Promise.all(files.map((f) => detect(f, req.format)));
  const format = formats[0]!;
  const other = formats.findIndex((f) => f !== format);
  if (other >= 0)
    throw usageError(`${files[other]}: a ${formats[other]} file among ${format} files`, 'give histories of one format at a time');
  if (format === 'cmapss') {
    const histories: History[] = [];
    for (const file of files) histories.push(...parseCmapss((await bytes(file)).toString('utf8'), file, files.length > 1));
    const width = histories[0]!.unit.sensors[0]!.length;
    const odd = histories.find((h) => h.unit.sensors[0]!.length !== width);
    if (odd)
      throw usageError(
        `${odd.file}: ${odd.unit.sensors[0]!.length} sensors where ${histories[0]!.file} has ${width}`,
        'give files of the same C-MAPSS layout',
      );
    const cols = cmapssColumns(width);
    if (req.expect && (req.expect.sensors.length !== cols.sensors.length || req.expect.settings.length !== cols.settings.length)) {
      throw usageError(
        `${files[0]}: ${cols.sensors.length} sensors and ${cols.settings.length} settings, but the model was trained on ${req.expect.sensors.length} and ${req.expect.settings.length}`,
        'predict with histories of the same kind as the training histories',
      );
    }
    return { format, ...cols, unit: 'cycle', histories, notes };
  }
  // captures: one asset each
  const histories: History[] = [];
  let settings = req.expect?.settings ?? req.settings;
  let sensors = req.expect?.sensors ?? req.sensors;
  let stepMs = req.stepMs;
  for (const file of files) {
    const { values, declared } = await readCaptureValues(file, req.warn);
    const missing = [...settings, ...sensors].filter((t) => !values.has(t));
    if (missing.length) {
      const what = missing.map((t) => (declared.includes(t) ? `${t} (no numeric samples)` : t)).join(', ');
      throw usageError(
        `${file}: ${req.expect ? 'the model needs tags that are not in this capture' : 'no such tags in the capture'}: ${what}`,
        req.expect
          ? 'predict with captures of the same kind of asset, recorded with the same tag names'
          : 'list the tags with `iiot capture info FILE`',
      );
    }
    if (sensors.length === 0) {
      sensors = [...values.keys()].filter((t) => !settings.includes(t)).sort();
      if (sensors.length === 0) throw usageError(`${file}: no numeric tag to learn from`, 'name the sensors with --sensor TAG');
      notes.push(
        `sensors: ${sensors.join(', ')} (every numeric tag of ${basename(file)}${settings.length ? ' except the settings' : ''}; --sensor chooses)`,
      );
    }
    if (stepMs === undefined) {
      stepMs = median(sensors.map((s) => spacing(values.get(s)!)).filter(Number.isFinite));
      if (!(stepMs > 0))
        throw usageError(`${file}: cannot tell the sampling step (too few samples)`, 'give it with --step, for example --step 1h');
      notes.push(`step: ${stepMs / 1000} s (the typical sample spacing of ${basename(file)}; --step chooses)`);
    }
    const rows = captureRows(values, settings, sensors, stepMs);
    if (rows.sensors.length === 0)
      throw usageError(`${file}: no step where every tag has a value`, 'check the tags with `iiot capture info FILE`');
    histories.push({
      unit: { id: basename(file), settings: rows.settings, sensors: rows.sensors },
      name: basename(file),
      file,
      last: rows.last,
    });
  }
  settings = [...settings];
  return { format, settings, sensors, unit: 'hour', stepMs: stepMs!, histories, notes };
}
