import { readFileSync, writeFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IiotError } from '../../src/core/errors.js';
import { importCsv, type CsvImportOptions } from '../../src/capture/csv-import.js';
import { CsvParser, sniffDelimiter } from '../../src/capture/csv-parse.js';
import { candidateFormats, parseTimeFormat, timeReader } from '../../src/capture/csv-time.js';
import { csvField } from '../../src/capture/csv-write.js';
import { captureInfo } from '../../src/capture/info.js';
import { ROOT } from '../helpers/cli.js';
import { readAll } from '../helpers/capture-read-all.js';
import { tmpFolder } from '../helpers/tmp-folder.js';

const file = tmpFolder('csv');
const fixture = (name: string) => `${ROOT}fixtures/csv/${name}`;

function parseAll(text: string, delimiter = ','): string[][] {
  const p = new CsvParser(delimiter);
  return [...p.push(text), ...p.end()].map((r) => r.fields);
}

async function importError(input: string, opts: Omit<CsvImportOptions, 'output'>): Promise<IiotError> {
  try {
    await importCsv(input, { output: file(`err-${Math.random()}.jsonl`), ...opts });
  } catch (err) {
    expect(err).toBeInstanceOf(IiotError);
    return err as IiotError;
  }
  throw new Error('importCsv did not fail');
}

describe('CSV parsing', () => {
  it('reads quotes, doubled quotes, delimiters and line breaks inside quotes, CRLF and a BOM', () => {
    expect(parseAll('\uFEFFa,b,c\r\n1,"x,y","say ""hi"""\r\n2,"two\nlines",\n\n3,,"" \n')).toEqual([
      ['a', 'b', 'c'],
      ['1', 'x,y', 'say "hi"'],
      ['2', 'two\nlines', ''],
      ['3', '', ' '],
    ]);
    expect(parseAll('a;b\n1,5;2', ';')).toEqual([
      ['a', 'b'],
      ['1,5', '2'],
    ]);
  });

  it('gives the line each row starts on', () => {
    const p = new CsvParser(',');
    const rows = [...p.push('h\n"a\nb"\n\nc\r\nd'), ...p.end()];
    expect(rows.map((r) => [r.fields[0], r.line])).toEqual([
      ['h', 1],
      ['a\nb', 2],
      ['c', 5],
      ['d', 6],
    ]);
  });

  it('gives the same rows however the text is cut into chunks, and reads back what csvField writes', () => {
    const cell = fc.string({ unit: fc.constantFrom('a', 'b', ',', '"', '\n', '\r', ' ', ';', 'é') });
    fc.assert(
      fc.property(
        fc.array(fc.array(cell, { minLength: 2, maxLength: 4 }), { minLength: 1, maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        (table, cuts) => {
          const text = table.map((row) => row.map((c) => csvField(c, ',') || '""').join(',')).join('\r\n') + '\n';
          const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
          const p = new CsvParser(',');
          const rows: string[][] = [];
          let last = 0;
          for (const at of [...points, text.length]) {
            rows.push(...p.push(text.slice(last, at)).map((r) => r.fields));
            last = at;
          }
          rows.push(...p.end().map((r) => r.fields));
          expect(rows).toEqual(table);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('sniffs the delimiter from the header line', () => {
    expect(sniffDelimiter('time,tag,value')).toBe(',');
    expect(sniffDelimiter('Zeit;Tag;Wert')).toBe(';');
    expect(sniffDelimiter('time\t"a,b"\tc')).toBe('\t');
    expect(sniffDelimiter('"a;b",c')).toBe(',');
  });
});

describe('time formats', () => {
  const read = (format: string, text: string, tz = 'UTC', midnightEndsDay = false) => {
    const f = parseTimeFormat(format);
    if (f === 'auto') throw new Error('auto');
    return new Date(timeReader(f, { tz, midnightEndsDay })(text)).toISOString();
  };

  it('reads patterns, 12-hour clocks, month names, fractions and zones', () => {
    expect(read('DD/MM/YYYY HH:mm', '31/12/2018 23:45')).toBe('2018-12-31T23:45:00.000Z');
    expect(read('MM/DD/YYYY hh:mm:ss A', '11/01/2026 12:30:00 AM', 'America/Chicago')).toBe('2026-11-01T05:30:00.000Z');
    expect(read('MM/DD/YYYY hh:mm:ss A', '11/01/2026 12:30:00 PM', 'America/Chicago')).toBe('2026-11-01T18:30:00.000Z');
    expect(read('DD-MMM-YYYY HH:mm:ss.SSS', '25-Nov-2026 10:00:00.25', 'Europe/Madrid')).toBe('2026-11-25T09:00:00.250Z');
    expect(read('YYYY-MM-DDTHH:mm:ssZ', '2026-11-25T10:00:00+02:00', 'America/Chicago')).toBe('2026-11-25T08:00:00.000Z');
    expect(read('iso', '2026-03-29 02:30', 'Europe/Berlin')).toBe('2026-03-29T01:30:00.000Z');
    expect(read('iso', '2026-11-25T10:00:00Z', 'Europe/Berlin')).toBe('2026-11-25T10:00:00.000Z');
    expect(read('epoch-s', '1764064800')).toBe('2025-11-25T10:00:00.000Z');
    expect(read('epoch-ms', '1764064800123')).toBe('2025-11-25T10:00:00.123Z');
  });

  it('reads 00:00 as the end of the date written when asked, and 24:00 always', () => {
    expect(read('DD/MM/YYYY HH:mm', '01/01/2018 00:00')).toBe('2018-01-01T00:00:00.000Z');
    expect(read('DD/MM/YYYY HH:mm', '01/01/2018 00:00', 'UTC', true)).toBe('2018-01-02T00:00:00.000Z');
    expect(read('DD/MM/YYYY HH:mm', '31/12/2018 00:00', 'UTC', true)).toBe('2019-01-01T00:00:00.000Z');
    expect(read('DD/MM/YYYY HH:mm', '31/12/2018 24:00')).toBe('2019-01-01T00:00:00.000Z');
  });

  it('refuses impossible dates and unknown pattern letters', () => {
    const f = parseTimeFormat('DD/MM/YYYY HH:mm');
    if (f === 'auto') throw new Error('auto');
    expect(timeReader(f, { tz: 'UTC' })('31/02/2018 10:00')).toBeNaN();
    expect(timeReader(f, { tz: 'UTC' })('2018-02-01 10:00')).toBeNaN();
    expect(() => parseTimeFormat('DD/MM/YYYY QQ')).toThrow('--time-format: unknown letter "Q"');
    expect(() => parseTimeFormat('hourly')).toThrow(IiotError);
  });

  it('proposes day-first and month-first for slashes, day-first only for dots', () => {
    expect(candidateFormats('01/02/2018 00:15').map((f) => (f.kind === 'pattern' ? f.pattern : f.kind))).toEqual([
      'D/M/YYYY H:mm',
      'M/D/YYYY H:mm',
    ]);
    expect(candidateFormats('28.03.2026 23:59:00').map((f) => (f.kind === 'pattern' ? f.pattern : f.kind))).toEqual(['D.M.YYYY H:mm:ss']);
    expect(candidateFormats('2026-11-25 10:00')).toEqual([{ kind: 'iso' }]);
    expect(candidateFormats('1764064800123')).toEqual([{ kind: 'epoch', unit: 'ms' }]);
    expect(candidateFormats('yesterday')).toEqual([]);
  });
});

describe('import: the steel plant (real data, UCI 851)', () => {
  const steel = fixture('steel-2018-01-01-to-03.csv');

  it('stops on the midnight trap and says which flag fixes it', async () => {
    const err = await importError(steel, {});
    expect(err.message).toBe(
      `${steel}: the time goes back 2 times, always at 00:00: this export labels midnight with the date of the day that ends`,
    );
    expect(err.hint).toMatch(/--midnight-ends-day/);
  });

  it('with --midnight-ends-day: every row, in order, every 15 minutes, with its unit', async () => {
    const out = file('steel.jsonl.gz');
    const r = await importCsv(steel, { output: out, midnightEndsDay: true, tz: 'Asia/Seoul', units: { Usage_kWh: 'kWh' } });
    expect(r).toMatchObject({
      layout: 'wide',
      delimiter: ',',
      decimalComma: false,
      timeColumn: 'date',
      timeFormat: 'D/M/YYYY H:mm',
      rows: 200,
      samples: 2000,
      backwards: 0,
    });
    // three days of January have no day above 12: the continuous reading wins, and says so
    expect(r.warnings).toEqual([
      'no day above 12 in column "date": read as D/M/YYYY H:mm, which spans 2.1 days in time order, rather than M/D/YYYY H:mm (59.1 days); give --time-format if that is wrong',
    ]);
    // Gwangyang is UTC+9: 2018-01-01 00:15 local is 2017-12-31 15:15 UTC
    expect(r.span).toEqual({ first: '2017-12-31T15:15:00.000Z', last: '2018-01-02T17:00:00.000Z' });
    expect(r.tags.map((t) => [t.name, t.dataType, t.unit])).toEqual([
      ['Usage_kWh', 'number', 'kWh'],
      ['Lagging_Current_Reactive_Power_kVarh', 'number', undefined],
      ['Leading_Current_Reactive_Power_kVarh', 'number', undefined],
      ['CO2(tCO2)', 'number', undefined],
      ['Lagging_Current_Power_Factor', 'number', undefined],
      ['Leading_Current_Power_Factor', 'number', undefined],
      ['NSM', 'number', undefined],
      ['WeekStatus', 'string', undefined],
      ['Day_of_week', 'string', undefined],
      ['Load_Type', 'string', undefined],
    ]);
    const back = await readAll(out, { strict: true });
    const usage = back.records.filter((x) => x.tag === 'Usage_kWh');
    // line 97 of the file, "01/01/2018 00:00,3.42,...": midnight at the END of 1 January, local time
    expect(usage[95]).toEqual({ t: '2018-01-01T15:00:00.000Z', tag: 'Usage_kWh', v: 3.42 });
    expect(usage.reduce((s, x) => s + (x.v as number), 0)).toBeCloseTo(4339.11, 6);
    expect(Math.max(...usage.map((x) => x.v as number))).toBe(147.46);
    const info = await captureInfo([out]);
    const u = info.tags.find((t) => t.name === 'Usage_kWh')!;
    expect(u).toMatchObject({ count: 200, medianIntervalMs: 900_000, outOfOrder: 0, gaps: { count: 0 }, unit: 'kWh', max: 147.46 });
  });

  it('--time-offset moves interval-end labels to the interval start', async () => {
    const r = await importCsv(steel, { output: file('start.jsonl'), midnightEndsDay: true, timeOffsetMs: -15 * 60_000 });
    expect(r.span).toEqual({ first: '2018-01-01T00:00:00.000Z', last: '2018-01-03T01:45:00.000Z' });
    expect(r.timeOffsetMs).toBe(-900_000);
  });

  it('--allow-backwards imports the times as written, with a warning', async () => {
    const r = await importCsv(steel, { output: file('asis.jsonl'), allowBackwards: true, timeFormat: 'DD/MM/YYYY HH:mm' });
    expect(r.backwards).toBe(2);
    expect(r.warnings).toEqual(['the time goes back 2 times: the capture is not in time order']);
  });
});

describe('import: historian and SCADA exports', () => {
  it('a German long export: BOM, CRLF, ";", decimal comma, local time across the DST change, quality', async () => {
    const out = file('de.jsonl');
    const r = await importCsv(fixture('historian-long-de.csv'), { output: out, tz: 'Europe/Berlin' });
    expect(r).toMatchObject({
      layout: 'long',
      delimiter: ';',
      decimalComma: true,
      timeColumn: 'Zeitstempel',
      timeFormat: 'D.M.YYYY H:mm:ss',
      samples: 8,
    });
    const back = await readAll(out, { strict: true });
    expect(back.records).toEqual([
      { t: '2026-03-28T22:59:00.000Z', tag: 'Kessel.Temperatur', v: 71.5 },
      { t: '2026-03-29T00:59:00.000Z', tag: 'Kessel.Temperatur', v: 72.25 },
      { t: '2026-03-29T01:00:00.000Z', tag: 'Kessel.Temperatur', v: 73 },
      { t: '2026-03-29T01:01:00.000Z', tag: 'Kessel; Druck', v: 1013.5 },
      { t: '2026-03-29T01:02:00.000Z', tag: 'Kessel.Temperatur', v: null, q: 'Bad' },
      { t: '2026-03-29T01:03:00.000Z', tag: 'Kessel.Temperatur', v: null, q: 'Uncertain' },
      { t: '2026-03-29T01:04:00.000Z', tag: 'Kessel.Zustand', v: 'läuft "normal"' },
      { t: '2026-03-29T01:05:00.000Z', tag: 'Kessel.Temperatur', v: -0.5 },
    ]);
    expect(back.header.tags.map((t) => [t.name, t.dataType])).toEqual([
      ['Kessel.Temperatur', 'number'],
      ['Kessel; Druck', 'number'],
      ['Kessel.Zustand', 'string'],
    ]);
  });

  it('a US wide export: ambiguous dates refused, then read with --time-format; units from column names; #N/A kept as quality', async () => {
    const tsv = fixture('scada-wide-us.tsv');
    const err = await importError(tsv, { tz: 'America/Chicago' });
    expect(err.message).toBe(`${tsv}: the dates in column "Timestamp" read both day-first and month-first (no day above 12)`);
    expect(err.hint).toBe('give --time-format "D/M/YYYY h:mm:ss A" or "M/D/YYYY h:mm:ss A"');
    const out = file('us.jsonl');
    const r = await importCsv(tsv, { output: out, tz: 'America/Chicago', timeFormat: 'MM/DD/YYYY hh:mm:ss A', units: { Speed: 'rpm' } });
    expect(r.tags.map((t) => [t.name, t.unit, t.count, t.notGood])).toEqual([
      ['Line 3 Power', 'kW', 4, 0],
      ['Line 3 Energy', 'kWh', 5, 0],
      ['Motor state', undefined, 5, 0],
      ['Speed', 'rpm', 5, 1],
    ]);
    expect(r.emptyCells).toBe(1);
    expect(r.backwards).toBe(1);
    const back = await readAll(out, { strict: true });
    expect(back.records.slice(0, 4)).toEqual([
      { t: '2026-11-01T06:30:00.000Z', tag: 'Line 3 Power', v: 12.5 },
      { t: '2026-11-01T06:30:00.000Z', tag: 'Line 3 Energy', v: 1000 },
      { t: '2026-11-01T06:30:00.000Z', tag: 'Motor state', v: 'on' },
      { t: '2026-11-01T06:30:00.000Z', tag: 'Speed', v: 1450 },
    ]);
    expect(back.records.find((x) => x.q !== undefined)).toEqual({ t: '2026-11-01T06:15:00.000Z', tag: 'Speed', v: null, q: '#N/A' });
    expect(back.records.at(-1)).toEqual({ t: '2026-11-01T18:30:00.000Z', tag: 'Speed', v: 1450 });
  });

  it('a bad row fails with file:line before anything is written; --skip-bad-rows leaves it out', async () => {
    const csv = file('bad.csv');
    writeFileSync(csv, 'time,a,b\n2026-11-25T10:00:00Z,1,2\n2026-11-25T10:00:01Z,3,4,5\nnot a time,5,6\n2026-11-25T10:00:03Z,7,8\n');
    const out = file('bad.jsonl');
    const err = await importError(csv, {});
    expect(err.message).toBe(`${csv}:3: 4 fields, but the header has 3 (wrong delimiter, or an unquoted delimiter in a value?)`);
    const r = await importCsv(csv, { output: out, skipBadRows: true });
    expect(r.skippedRows).toBe(2);
    expect(r.warnings[0]).toBe('2 bad rows skipped (first: line 4, time "not a time")');
    expect((await readAll(out)).records.map((x) => x.v)).toEqual([1, 2, 7, 8]);
    const missing = await importError(file('missing.csv'), {});
    expect(missing.message).toBe(`cannot read ${file('missing.csv')}: no such file or directory (ENOENT)`);
  });

  it('refuses to write over its input', async () => {
    const csv = file('self.csv');
    writeFileSync(csv, 'time,a\n2026-11-25T10:00:00Z,1\n');
    await expect(importCsv(csv, { output: csv })).rejects.toThrow(`the output ${csv} is also an input`);
    expect(readFileSync(csv, 'utf8')).toBe('time,a\n2026-11-25T10:00:00Z,1\n');
  });
});

describe('import: damaged or random CSV', () => {
  it('never crashes: it imports, or fails with one IiotError line', async () => {
    const cell = fc.oneof(
      fc.constantFrom(
        '2026-11-25T10:00:00Z',
        '25/11/2026 10:00',
        '1764064800',
        '1,5',
        '3.25',
        'Bad',
        '',
        '"',
        '""',
        'a;b',
        '\n',
        '\r\n',
        ',',
        ';',
        '\t',
        '\uFEFF',
      ),
      fc.string({ maxLength: 6 }),
    );
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(cell, { maxLength: 40 }), fc.constantFrom('', ',', ';', '\n'), async (cells, join) => {
        const csv = file(`fuzz-${n++}.csv`);
        writeFileSync(csv, `time,a,b\n${cells.join(join)}`);
        try {
          const r = await importCsv(csv, { output: file(`fuzz-${n}.jsonl`) });
          expect(r.samples).toBeGreaterThanOrEqual(0);
          expect((await readAll(r.outputs[0]!, { strict: true })).records).toHaveLength(r.samples);
        } catch (err) {
          expect(err).toBeInstanceOf(IiotError);
          expect((err as IiotError).message).not.toContain('\n');
        }
      }),
      { numRuns: 300 },
    );
  });
});
