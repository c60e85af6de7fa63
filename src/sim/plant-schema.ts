import { z } from 'zod';
import { isIiotError } from '../core/errors.js';
import { parseDuration } from '../core/units.js';

/**
 * The plant model file (fixtures/plants/*.yaml, documented in docs/sim.md). Units are in the
 * field names (Kw, Rpm, MmS...) so a hand-written file cannot silently mix kW and W.
 */

/** "6d", "12h", "1d12h" -> milliseconds; a bare number is refused (days? hours?). */
const duration = z.string().transform((s, ctx) => {
  try {
    return parseDuration(s, 'duration');
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: isIiotError(err) ? `cannot read "${s}" as a duration (write 6d, 12h, 90m)` : String(err) });
    return z.NEVER;
  }
});

const positive = z.number().positive();
const nonNegative = z.number().nonnegative();
const fraction = z.number().min(0).max(1);

const clock = /^([01]\d|2[0-3]):([0-5]\d)$/;
/** "06:00-14:00" (local time); "22:00-06:00" runs past midnight. Minutes after midnight. */
const timeRange = z
  .string()
  .regex(/^\d\d:\d\d-\d\d:\d\d$/, 'write a time range as HH:MM-HH:MM, for example 06:00-14:00')
  .transform((s, ctx) => {
    const [a, b] = s.split('-') as [string, string];
    const ma = clock.exec(a);
    const mb = clock.exec(b === '24:00' ? '23:59' : b);
    if (!ma || !mb) {
      ctx.addIssue({ code: 'custom', message: `"${s}" is not a valid time range (hours 00-23, minutes 00-59)` });
      return z.NEVER;
    }
    const from = Number(ma[1]) * 60 + Number(ma[2]);
    const to = b === '24:00' ? 1440 : Number(mb[1]) * 60 + Number(mb[2]);
    if (from === to) {
      ctx.addIssue({ code: 'custom', message: `"${s}" is an empty time range` });
      return z.NEVER;
    }
    return { from, to };
  });

export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

const shiftsSchema = z.strictObject({
  /** days with production; others are idle all day */
  days: z.array(z.enum(WEEKDAYS)).default(['mon', 'tue', 'wed', 'thu', 'fri']),
  /** production windows in local time */
  production: z.array(timeRange).min(1),
  /** local dates (YYYY-MM-DD) without production */
  holidays: z.array(z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'write dates as YYYY-MM-DD')).default([]),
});

const energySchema = z.strictObject({
  /** drawn at all times: lighting, HVAC, IT, standby consumers (kW) */
  baseLoadKw: nonNegative,
  /** extra auxiliary load while producing (kW) */
  productionAuxKw: nonNegative.default(0),
  /** slow slot-to-slot variation of the base load, as a fraction */
  baseLoadVariation: fraction.default(0.05),
  /** measurement noise of the plant power (kW, one standard deviation) */
  powerNoiseKw: nonNegative.default(0.3),
  /** power factor at full load; lower at light load */
  powerFactor: z.number().gt(0).max(1).default(0.92),
  /** phase-to-neutral voltage (V) */
  voltage: positive.default(230),
  frequency: positive.default(50),
  /** meter readings at the model's start: real meters never start at zero */
  initialKwh: nonNegative.default(0),
  initialKvarh: nonNegative.default(0),
});

const vibrationSchema = z.strictObject({
  /** RMS vibration velocity of a healthy machine while running (mm/s) */
  baselineMmS: positive,
  /** relative noise, one standard deviation (0.05 = 5 %) */
  noise: fraction.default(0.05),
  /** background reading while stopped (mm/s) */
  stoppedMmS: nonNegative.default(0.08),
});

const bearingTempSchema = z.strictObject({
  /** rise above ambient at full load, in °C */
  riseC: nonNegative,
  /** thermal time constant */
  tau: duration.prefault('20m'),
  noiseC: nonNegative.default(0.15),
});

/**
 * A bearing that degrades: vibration grows as v0 + A·(exp(b·(t − onset)) − 1) after the onset,
 * with A chosen so that it reaches the threshold exactly at the failure time.
 */
const degradationSchema = z.strictObject({
  /** when the defect starts to grow, after the model's start */
  onset: duration,
  /** when vibration reaches the threshold, after the model's start */
  failure: duration,
  /** vibration at which the bearing counts as failed (mm/s): ISO 10816-3 zone C/D boundary */
  thresholdMmS: positive,
  /** exponential growth rate b, per day */
  growthPerDay: positive.default(0.25),
  /** bearing temperature rise per mm/s of extra vibration (°C) */
  tempRisePerMmS: nonNegative.default(1.5),
  /** what happens at the failure time: the protection trips the motor, or it runs on */
  afterFailure: z.enum(['trip', 'run']).default('trip'),
});

const assetBase = {
  /** short id used in tag names, topics and node ids: lower case, digits, no dots */
  id: z.string().regex(/^[a-z][a-z0-9_-]*$/, 'ids are lower case letters, digits, - and _, starting with a letter'),
  /** display name (OPC UA DisplayName, Sparkplug device id is derived from the id) */
  name: z.string().min(1),
  ratedKw: positive,
  ratedSpeedRpm: positive,
  ratedCurrentA: positive,
  vibration: vibrationSchema,
  bearingTemp: bearingTempSchema,
  bearing: degradationSchema.optional(),
  /** ISO 10816-3 machine group of the asset, written to the ground truth for analyses */
  isoGroup: z.union([z.literal(1), z.literal(2)]).optional(),
  foundation: z.enum(['rigid', 'flexible']).optional(),
};

const conveyorSchema = z.strictObject({
  ...assetBase,
  kind: z.literal('conveyor'),
  /** mean load as a fraction of rated power while running */
  loadFactor: fraction.default(0.75),
  /** pieces per minute while running */
  productionPerMinute: nonNegative.default(0),
  /** chance that the conveyor stands still during a given minute of production (jams, no product) */
  microStopProbability: fraction.default(0.03),
});

const pumpSchema = z.strictObject({
  ...assetBase,
  kind: z.literal('pump'),
  /** production: runs with the shifts; continuous: runs all the time */
  schedule: z.enum(['production', 'continuous']).default('continuous'),
  loadFactor: fraction.default(0.8),
});

const compressorSchema = z.strictObject({
  ...assetBase,
  kind: z.literal('compressor'),
  /** power while loaded and while running unloaded (kW) */
  loadedKw: positive,
  unloadedKw: nonNegative,
  /** share of time loaded while producing, and while idle (leaks keep it loading at night) */
  dutyProduction: fraction,
  dutyIdle: fraction,
  /** length of one load/unload cycle */
  cycle: duration.prefault('10m'),
});

export const assetSchema = z.discriminatedUnion('kind', [conveyorSchema, pumpSchema, compressorSchema]);

export const plantSchema = z
  .strictObject({
    name: z.string().min(1),
    site: z.string().default('Simulated site'),
    /** IANA time zone of the site: shifts and "per day" ground truth are in local time */
    timezone: z.string().default('UTC'),
    seed: z.number().int().nonnegative().default(1),
    /** the model's epoch for --generate (ISO 8601 UTC); live runs start now unless --start */
    start: z
      .string()
      .refine(
        (s) => !Number.isNaN(Date.parse(s)) && /[zZ]|[+-]\d\d:?\d\d$/.test(s),
        'write an ISO 8601 time with a zone, e.g. 2026-01-05T00:00:00Z',
      ),
    shifts: shiftsSchema,
    energy: energySchema,
    assets: z.array(assetSchema).min(1),
  })
  .superRefine((plant, ctx) => {
    const seen = new Set<string>();
    if (plant.timezone !== 'UTC') {
      try {
        new Intl.DateTimeFormat('en-US', { timeZone: plant.timezone });
      } catch {
        ctx.addIssue({
          code: 'custom',
          path: ['timezone'],
          message: `unknown time zone "${plant.timezone}" (use an IANA name such as Europe/Madrid or UTC)`,
        });
      }
    }
    plant.assets.forEach((a, i) => {
      if (a.id === 'plant')
        ctx.addIssue({ code: 'custom', path: ['assets', i, 'id'], message: '"plant" is reserved for the plant-level signals' });
      if (seen.has(a.id)) ctx.addIssue({ code: 'custom', path: ['assets', i, 'id'], message: `duplicate asset id "${a.id}"` });
      seen.add(a.id);
      if (a.bearing && a.bearing.failure <= a.bearing.onset) {
        ctx.addIssue({ code: 'custom', path: ['assets', i, 'bearing', 'failure'], message: 'failure must come after onset' });
      }
      if (a.bearing && a.bearing.thresholdMmS <= a.vibration.baselineMmS) {
        ctx.addIssue({
          code: 'custom',
          path: ['assets', i, 'bearing', 'thresholdMmS'],
          message: 'the failure threshold must be above the healthy baseline',
        });
      }
      if (a.kind === 'compressor' && a.unloadedKw > a.loadedKw) {
        ctx.addIssue({ code: 'custom', path: ['assets', i, 'unloadedKw'], message: 'unloaded power must not exceed loaded power' });
      }
    });
  });

export type PlantConfig = z.output<typeof plantSchema>;
export type AssetConfig = z.output<typeof assetSchema>;
export type ConveyorConfig = z.output<typeof conveyorSchema>;
export type PumpConfig = z.output<typeof pumpSchema>;
export type CompressorConfig = z.output<typeof compressorSchema>;
export type DegradationConfig = z.output<typeof degradationSchema>;
