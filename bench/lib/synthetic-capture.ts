/**
 * The synthetic benchmark capture (deterministic): 10 tags at 1 Hz, 10 per second until `samples`:
 * plant.power (kW), plant.energy (kWh counter), and 8 bearing vibration tags (mm/s). Used by
 * bench/analysis.ts and bench/parquet.ts.
 */
import { closeSync, openSync, writeSync } from 'node:fs';

export const VIB = Array.from({ length: 8 }, (_, i) => `bearing${i + 1}.vibration`);
export const TAGS = ['plant.power', 'plant.energy', ...VIB];

export function writeCapture(path: string, samples: number): void {
  const header = {
    type: 'header',
    format: 'iiot-capture',
    version: 1,
    created: '2026-01-01T00:00:00.000Z',
    tool: 'bench/lib/synthetic-capture.ts',
    sources: [{ id: 'bench', protocol: 'sim' }],
    tags: [
      { name: 'plant.power', source: 'bench', dataType: 'float64', unit: 'kW', range: [0, 500] },
      { name: 'plant.energy', source: 'bench', dataType: 'float64', unit: 'kWh', range: [0, 1e9] },
      ...VIB.map((name) => ({ name, source: 'bench', dataType: 'float64', unit: 'mm/s', range: [0, 25] })),
    ],
    metadata: { note: 'synthetic benchmark capture' },
  };
  const fd = openSync(path, 'w');
  writeSync(fd, `${JSON.stringify(header)}\n`);
  const start = Date.UTC(2026, 0, 1);
  const seconds = Math.ceil(samples / TAGS.length);
  let energy = 100_000;
  let seed = 12345;
  const rnd = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  let buf: string[] = [];
  let written = 0;
  for (let s = 0; s < seconds && written < samples; s++) {
    const t = new Date(start + s * 1000).toISOString();
    const hour = (s / 3600) % 24;
    const power = (hour >= 6 && hour < 22 ? 180 : 60) + 20 * rnd();
    energy += power / 3600;
    const vals = [power, energy, ...VIB.map((_, i) => 1.5 + 0.1 * i + 0.05 * rnd() + (i === 0 ? (s / seconds) ** 4 * 3 : 0))];
    for (let k = 0; k < TAGS.length && written < samples; k++, written++)
      buf.push(`{"t":"${t}","tag":"${TAGS[k]}","v":${Number(vals[k]!.toFixed(4))}}\n`);
    if (buf.length >= 50_000) {
      writeSync(fd, buf.join(''));
      buf = [];
    }
  }
  writeSync(fd, buf.join(''));
  closeSync(fd);
}
