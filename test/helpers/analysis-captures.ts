/** Small synthetic captures for the CLI tests of `iiot analyze`, written as the capture format says. */
import { writeFileSync } from 'node:fs';

const header = (tags: object[], metadata: object = {}) => ({
  type: 'header',
  format: 'iiot-capture',
  version: 1,
  created: '2026-03-01T00:00:00.000Z',
  tool: 'test',
  sources: [{ id: 'test', protocol: 'sim' }],
  tags,
  metadata,
});

const iso = (ms: number) => new Date(ms).toISOString();
export const T0 = Date.UTC(2026, 2, 2); // Monday 2 March 2026, 00:00 UTC

/**
 * Three days at one-minute samples: plant.power (kW), plant.energy (kWh counter), plant.reactiveEnergy
 * (kvarh counter), plant.producing, line.count (pcs), compressor.power (kW). 100 kW while producing
 * (06:00-22:00 UTC), 40 kW otherwise; the compressor 20 kW always. One non-numeric power sample.
 */
export function writeEnergyCapture(path: string): { kwh: number } {
  const lines: string[] = [
    JSON.stringify(
      header([
        { name: 'plant.power', unit: 'kW', dataType: 'float64' },
        { name: 'plant.energy', unit: 'kWh', dataType: 'float64', range: [0, 1e9] },
        { name: 'plant.reactiveEnergy', unit: 'kvarh', dataType: 'float64' },
        { name: 'plant.producing', dataType: 'bool' },
        { name: 'line.count', unit: 'pcs', dataType: 'uint32' },
        { name: 'compressor.power', unit: 'kW', dataType: 'float64' },
      ]),
    ),
  ];
  let e = 5000;
  let q = 2000;
  let count = 0;
  const minutes = 3 * 1440;
  for (let m = 0; m <= minutes; m++) {
    const t = iso(T0 + m * 60_000);
    const hour = Math.floor(m / 60) % 24;
    const producing = hour >= 6 && hour < 22;
    const p = producing ? 100 : 40;
    lines.push(JSON.stringify({ t, tag: 'plant.power', v: m === 100 ? 'n/a' : p }));
    lines.push(JSON.stringify({ t, tag: 'plant.energy', v: Number(e.toFixed(4)) }));
    lines.push(JSON.stringify({ t, tag: 'plant.reactiveEnergy', v: Number(q.toFixed(4)) }));
    lines.push(JSON.stringify({ t, tag: 'plant.producing', v: producing }));
    lines.push(JSON.stringify({ t, tag: 'line.count', v: count }));
    lines.push(JSON.stringify({ t, tag: 'compressor.power', v: 20 }));
    e += p / 60;
    q += (p * 0.5) / 60;
    if (producing) count += 2;
  }
  writeFileSync(path, `${lines.join('\n')}\n`);
  // 16 h x 100 + 8 h x 40 per day, for 3 days
  return { kwh: 3 * (16 * 100 + 8 * 40) };
}

/**
 * Twenty days of pump vibration every 10 minutes: 1.5 mm/s, rising exponentially from day 12 (zone
 * C by the end, group 2 rigid), with pump.running false for one hour a day (the samples then read
 * 0.05 mm/s); fan.vibration steady at 2 mm/s; fan.bearingTemp steady at 40 °C.
 */
export function writeVibrationCapture(path: string): void {
  const lines: string[] = [
    JSON.stringify(
      header(
        [
          { name: 'pump.vibration', unit: 'mm/s', dataType: 'float64' },
          { name: 'pump.running', dataType: 'bool' },
          { name: 'fan.vibration', unit: 'mm/s', dataType: 'float64' },
          { name: 'fan.bearingTemp', unit: '°C', dataType: 'float64' },
        ],
        { timezone: 'Europe/Madrid' },
      ),
    ),
  ];
  let seed = 7;
  const rnd = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff - 0.5;
  };
  for (let k = 0; k < 20 * 144; k++) {
    const ms = T0 + k * 600_000;
    const t = iso(ms);
    const days = k / 144;
    const running = Math.floor(k / 6) % 24 !== 3;
    const trend = 1.5 + (days > 12 ? 0.12 * (Math.exp((days - 12) / 2) - 1) : 0);
    if (k % 6 === 0) lines.push(JSON.stringify({ t, tag: 'pump.running', v: running }));
    lines.push(JSON.stringify({ t, tag: 'pump.vibration', v: Number((running ? trend * (1 + 0.04 * rnd()) : 0.05).toFixed(4)) }));
    lines.push(JSON.stringify({ t, tag: 'fan.vibration', v: Number((2 * (1 + 0.04 * rnd())).toFixed(4)) }));
    lines.push(JSON.stringify({ t, tag: 'fan.bearingTemp', v: Number((40 + rnd()).toFixed(3)) }));
  }
  writeFileSync(path, `${lines.join('\n')}\n`);
}

/**
 * Eight weeks of a heated plant for measurement and verification, site in Europe/Madrid:
 * plant.power (kW) every 10 minutes and outdoor.temperature (°C) every hour. Daily energy is
 * 1200 kWh, +500 on weekdays, +30 per heating degree day (base 15.5 °C), with noise; from
 * 2026-04-06 (week 6) an efficiency measure saves 10% of it.
 */
export function writeMvCapture(path: string): { saving: number } {
  const lines: string[] = [
    JSON.stringify(
      header(
        [
          { name: 'plant.power', unit: 'kW', dataType: 'float64' },
          { name: 'outdoor.temperature', unit: '°C', dataType: 'float64' },
        ],
        { timezone: 'Europe/Madrid', site: 'test plant' },
      ),
    ),
  ];
  let seed = 11;
  const rnd = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff - 0.5;
  };
  // Madrid is UTC+1 until 29 March, then UTC+2: local midnight is 23:00 or 22:00 UTC
  const start = Date.UTC(2026, 2, 1, 23); // Monday 2 March 2026, 00:00 local
  const saveFrom = 35;
  for (let d = 0; d < 56; d++) {
    const temp = 9 + 6 * Math.sin(d / 5) + d / 10;
    const weekday = d % 7 < 5;
    const kwh = (1200 + (weekday ? 500 : 0) + 30 * Math.max(0, 15.5 - temp) + 60 * rnd()) * (d >= saveFrom ? 0.9 : 1);
    const dayStart = start + d * 86_400_000 - (d >= 28 ? 3_600_000 : 0);
    const dayLen = d === 27 ? 23 * 3_600_000 : 86_400_000;
    for (let m = 0; m < dayLen; m += 600_000)
      lines.push(JSON.stringify({ t: iso(dayStart + m), tag: 'plant.power', v: Number(((kwh * 3_600_000) / dayLen).toFixed(3)) }));
    for (let h = 0; h < dayLen; h += 3_600_000)
      lines.push(JSON.stringify({ t: iso(dayStart + h + 1_800_000), tag: 'outdoor.temperature', v: Number(temp.toFixed(2)) }));
  }
  writeFileSync(path, `${lines.join('\n')}\n`);
  return { saving: 0.1 };
}
