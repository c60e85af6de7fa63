/**
 * Vibration severity zones of ISO 10816-3:2009 / ISO 20816-3:2022 (industrial machines above
 * 15 kW, measured on bearing housings, broadband r.m.s. velocity 10-1000 Hz, mm/s).
 *
 * Zone A: newly commissioned machines. B: unrestricted long-term operation. C: unsatisfactory for
 * long-term operation, plan a repair. D: severe enough to cause damage.
 *
 * Group 1: large machines, 300 kW to 50 MW (shaft height >= 315 mm).
 * Group 2: medium machines, 15 kW to 300 kW (shaft height 160-315 mm).
 * The boundaries below are the velocity boundaries of the tables in Annex A of both editions
 * (20816-3 kept them for groups 1 and 2; pumps, groups 3 and 4 of 10816-3, have the same numbers as
 * groups 1 and 2 respectively and moved to ISO 10816-7 / 20816-7).
 */

export type MachineGroup = 1 | 2 | 3 | 4;
export type Foundation = 'rigid' | 'flexible';
export type Zone = 'A' | 'B' | 'C' | 'D';
export type ZoneBoundary = 'A/B' | 'B/C' | 'C/D';

/** [A/B, B/C, C/D] in mm/s r.m.s. */
const VELOCITY: Record<'1' | '2', Record<Foundation, readonly [number, number, number]>> = {
  '1': { rigid: [2.3, 4.5, 7.1], flexible: [3.5, 7.1, 11.0] },
  '2': { rigid: [1.4, 2.8, 4.5], flexible: [2.3, 4.5, 7.1] },
};

export interface ZoneTable {
  group: MachineGroup;
  foundation: Foundation;
  /** mm/s r.m.s. */
  boundaries: Record<ZoneBoundary, number>;
  standard: string;
}

export function zoneTable(group: MachineGroup, foundation: Foundation): ZoneTable {
  // Group 3 (pumps with separate driver) has group 1's numbers, group 4 (integrated driver) group 2's.
  const key = group === 1 || group === 3 ? '1' : '2';
  const [ab, bc, cd] = VELOCITY[key][foundation];
  return { group, foundation, boundaries: { 'A/B': ab, 'B/C': bc, 'C/D': cd }, standard: 'ISO 10816-3 / ISO 20816-3' };
}

/** The zone a velocity (mm/s r.m.s.) falls in. A value on a boundary belongs to the upper zone. */
export function zoneOf(velocityMmS: number, table: ZoneTable): Zone {
  const b = table.boundaries;
  if (velocityMmS >= b['C/D']) return 'D';
  if (velocityMmS >= b['B/C']) return 'C';
  if (velocityMmS >= b['A/B']) return 'B';
  return 'A';
}

export function isZoneBoundary(s: string): s is ZoneBoundary {
  return s === 'A/B' || s === 'B/C' || s === 'C/D';
}
