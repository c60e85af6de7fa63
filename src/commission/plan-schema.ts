import { z } from 'zod';
import { isIiotError } from '../core/errors.js';
import { SECURITY_MODES, SECURITY_POLICIES } from '../protocols/opcua/flags.js';
import { parseTarget } from '../core/targets.js';
import { parseDuration } from '../core/units.js';
import { waiverPatternProblem } from './items.js';

/**
 * The acceptance plan (docs/commissioning.md): what the site must show before the plant owner
 * signs. A YAML file the engineer writes (or drafts with `iiot commission init` and edits), so
 * every field is checked here and an error names the file, the line and the field.
 */

export const PLAN_FORMAT = 'iiot.commission-plan/1';

const duration = z.string().transform((s, ctx) => {
  try {
    return parseDuration(s, 'duration');
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: isIiotError(err) ? `cannot read "${s}" as a duration (write 5s, 2m, 90d)` : String(err) });
    return z.NEVER;
  }
});

/** "2%", "0.5 %" or 2 (percent) -> percent */
const percent = z.union([z.number(), z.string()]).transform((v, ctx) => {
  const n = typeof v === 'number' ? v : Number(v.trim().replace(/\s*%$/, ''));
  if (!Number.isFinite(n) || n < 0 || n > 100) {
    ctx.addIssue({ code: 'custom', message: `cannot read "${v}" as a percentage from 0 to 100 (write 1% or 0.5%)` });
    return z.NEVER;
  }
  return n;
});

const id = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'an id is letters, digits, "_", "." or "-" (it names files and report items)');

const url = z.string().transform((s, ctx) => {
  try {
    return parseTarget(s);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: isIiotError(err) ? err.message : String(err) });
    return z.NEVER;
  }
});

const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info', 'none'] as const;

const securityExpectations = z
  .object({
    /** OPC UA: every endpoint offered is at least this policy (None < Basic128Rsa15 < Basic256 < Basic256Sha256 < Aes128_Sha256_RsaOaep < Aes256_Sha256_RsaPss) */
    minPolicy: z.enum(SECURITY_POLICIES).optional(),
    /** OPC UA: every endpoint offered is at least this mode (None < Sign < SignAndEncrypt) */
    minMode: z.enum(SECURITY_MODES).optional(),
    /** OPC UA and MQTT: anonymous access must not be offered (false) or may be (true) */
    anonymous: z.boolean().optional(),
    /** MQTT: the broker must be reached over TLS (mqtts://) */
    tls: z.enum(['required', 'optional']).optional(),
    /** certificates (OPC UA server, MQTT TLS) valid for at least this long from the run */
    certificateValidity: duration.optional(),
    /** findings of the passive security check at or above this severity fail the item (default high) */
    failOn: z.enum(SEVERITIES).optional(),
  })
  .strict();

const latencyBudget = z
  .object({
    /** 99th percentile of the round trip */
    p99: duration.optional(),
    /** requests without an answer, percent */
    loss: percent.optional(),
    /** round trips measured (default 50) */
    count: z.number().int().min(5).max(10_000).optional(),
  })
  .strict();

/** What the device must say it is. Every given field must match exactly (case-insensitive, trimmed). */
const identity = z
  .object({
    // OPC UA (GetEndpoints / FindServers application description)
    applicationUri: z.string().optional(),
    productUri: z.string().optional(),
    applicationName: z.string().optional(),
    // Modbus FC43/14 device identification
    vendor: z.string().optional(),
    productCode: z.string().optional(),
    revision: z.string().optional(),
    productName: z.string().optional(),
    modelName: z.string().optional(),
    // MQTT
    protocolVersion: z.enum(['3.1.1', '5.0']).optional(),
    /** Sparkplug B edge nodes that must be online: "group/edge node" */
    sparkplug: z.array(z.string().regex(/^[^/#+]+\/[^/#+]+$/, 'write a Sparkplug edge node as "group/edge node"')).optional(),
  })
  .strict();

const device = z
  .object({
    id,
    url,
    description: z.string().optional(),
    identity: identity.optional(),
    security: securityExpectations.optional(),
    latency: latencyBudget.optional(),
    /** Modbus: the register map of the signals read from it (built-in name or file) */
    map: z.string().optional(),
    /** a device that may be absent without failing the acceptance (a spare, a later phase) */
    optional: z.boolean().optional(),
  })
  .strict();

const expectation = z.union([
  z.number(),
  z.boolean(),
  z.string(),
  z.object({ value: z.union([z.number(), z.boolean(), z.string()]), tolerance: z.number().nonnegative().optional() }).strict(),
]);

const signal = z
  .object({
    /** the signal's name in the handover: unique in the plan (the I/O list's tag) */
    tag: z.string().min(1),
    /** the plan's device it is read from */
    device: id,
    /** where: an OPC UA node id (ns=…;s=… or nsu=…), a Modbus register map entry, an MQTT topic */
    address: z.string().min(1),
    /** MQTT: which value of a JSON payload that carries several, as `iiot record --json-path` takes it ("$.temp") */
    jsonPath: z
      .string()
      .regex(/^\$\.\S/, 'a JSON path starts with "$." ($.temp, $.sensors.t1)')
      .optional(),
    description: z.string().optional(),
    /** the engineering unit the device must report (compared as units: "degC" is "°C") */
    unit: z.string().min(1).optional(),
    /** plausible range [low, high] of the engineering value */
    range: z.tuple([z.number(), z.number()]).optional(),
    /** longest time allowed between two updates */
    maxInterval: duration.optional(),
    /** the value (or state) it must show during the window */
    expect: expectation.optional(),
    /** a constant signal is not a fault (a setpoint, a configuration value): skip the flat-line test */
    constant: z.boolean().optional(),
    /** noisier than this share of its range from one sample to the next is implausible (default 25%) */
    noise: percent.optional(),
    /** the action at the field device for the guided loop check (--loop-check), e.g. "force 4 mA at PT-101" */
    loopCheck: z.string().optional(),
    /** a failing check of an optional signal is reported but does not fail the acceptance */
    optional: z.boolean().optional(),
  })
  .strict();

const waiver = z
  .object({
    /** item id from the report ("security/broker/mqtt-anonymous"), or every item of one device or signal in one group ("security/plc/*") */
    item: z
      .string()
      .min(1)
      .superRefine((p, ctx) => {
        const problem = waiverPatternProblem(p);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      }),
    reason: z.string().min(1, 'a waiver needs a reason'),
    /** who accepted the deviation (name, company) */
    by: z.string().min(1, 'a waiver needs the name of who accepted it'),
    date: z.string().optional(),
  })
  .strict();

export const planSchema = z
  .object({
    format: z.literal(PLAN_FORMAT, { message: `format must be "${PLAN_FORMAT}"` }),
    site: z.object({ name: z.string().min(1), location: z.string().optional(), owner: z.string().optional() }).strict(),
    job: z
      .object({
        id: z.string().min(1),
        engineer: z.string().optional(),
        integrator: z.string().optional(),
        description: z.string().optional(),
      })
      .strict(),
    /** defaults every device takes unless it has its own */
    defaults: z.object({ security: securityExpectations.optional(), latency: latencyBudget.optional() }).strict().optional(),
    /** also scan these addresses (discover's targets): a device found there that the plan does not list is an item */
    discovery: z
      .object({
        scan: z.array(z.string()).optional(),
        /** ports as discover takes them: "4840:opcua,5020:modbus,1883:mqtt" */
        ports: z.string().optional(),
        /** how long to listen for Sparkplug births (default 3s) */
        listen: duration.optional(),
      })
      .strict()
      .optional(),
    recording: z.object({ window: duration.optional() }).strict().optional(),
    devices: z.array(device).min(1, 'the plan names no devices'),
    signals: z.array(signal).default([]),
    waivers: z.array(waiver).default([]),
  })
  .strict();

export type Plan = z.output<typeof planSchema>;
export type PlanDevice = Plan['devices'][number];
export type PlanSignal = Plan['signals'][number];
export type PlanWaiver = Plan['waivers'][number];
export type SecurityExpectations = z.output<typeof securityExpectations>;
export type LatencyBudget = z.output<typeof latencyBudget>;
export type Expectation = z.output<typeof expectation>;
