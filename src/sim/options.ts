/**
 * `iiot sim` flags -> the typed options of runSim (parseSimFlags, the seam tests use): serve the
 * plant, or with --generate write a capture of it; every problem is a usage error naming the option.
 */
import { usageError } from '../core/errors.js';
import { parseTimeArg } from '../core/time.js';
import { parseDuration } from '../core/units.js';
import type { SimRunOptions } from './run.js';

export interface SimFlags {
  force?: boolean;
  plant?: string;
  seed?: string;
  start?: string;
  age?: string;
  timeScale: string;
  host: string;
  opcua: boolean;
  modbus: boolean;
  mqtt: boolean;
  opcuaPort: string;
  modbusPort: string;
  mqttPort: string;
  profile: 'default' | 'hardened' | 'weak';
  user: string;
  passwordFile?: string;
  pkiDir?: string;
  acceptAnyClientCert?: boolean;
  trustLocalClient?: boolean;
  maxNodesPerBrowse?: string;
  maxNodesPerRead?: string;
  maxBrowseContinuationPoints?: string;
  maxMonitoredItemsPerCall?: string;
  maxReferencesPerNode?: string;
  extraNodes?: string;
  nodeset?: string;
  mqttAuth?: boolean;
  mqttNagle?: boolean;
  jsonTopics: boolean;
  sparkplug: boolean;
  mqttBroker?: string;
  unknownUnit: 'gateway-exception' | 'ignore';
  rtu?: string;
  rtuBaud: string;
  rtuParity: 'none' | 'even' | 'odd';
  rtuUnit: string;
  rtuDataBits: string;
  rtuStopBits: string;
  updateInterval: string;
  freeze?: string;
  readyFile?: string;
  duration?: string;
  generate?: boolean;
  days?: string;
  span?: string;
  interval: string;
  output?: string;
  tags?: string[];
}

/** Flags -> the typed options of runSim; every problem is a usage error naming the option. */
export function parseSimFlags(f: SimFlags): SimRunOptions {
  const generate = f.generate
    ? {
        durationMs: generateSpan(f),
        intervalMs: positiveDuration(f.interval, '--interval'),
        output: f.output ?? missing('-o, --output', 'iiot sim --generate --days 30 -o plant.jsonl.gz'),
        tags: f.tags ?? [],
        force: Boolean(f.force),
      }
    : undefined;
  if (f.generate && f.age !== undefined)
    throw usageError(
      '--age is for live runs; with --generate use --start to place the capture',
      'the capture starts at the epoch: --start 2026-01-05T00:00:00Z',
    );
  if (!f.generate && (f.days !== undefined || f.span !== undefined || f.output !== undefined || f.force)) {
    throw usageError(
      `--days, --span and -o${f.force ? ' (and --force)' : ''} belong to --generate`,
      'add --generate to write a capture, or leave them out to serve the plant',
    );
  }
  const limits = {
    ...optionalInt(f.maxNodesPerBrowse, '--max-nodes-per-browse', 'maxNodesPerBrowse'),
    ...optionalInt(f.maxNodesPerRead, '--max-nodes-per-read', 'maxNodesPerRead'),
    ...optionalInt(f.maxBrowseContinuationPoints, '--max-browse-continuation-points', 'maxBrowseContinuationPoints'),
    ...optionalInt(f.maxMonitoredItemsPerCall, '--max-monitored-items-per-call', 'maxMonitoredItemsPerCall'),
    ...optionalInt(f.maxReferencesPerNode, '--max-references-per-node', 'maxReferencesPerNode'),
  };
  if (f.nodeset !== undefined && f.extraNodes !== undefined)
    throw usageError(
      "--extra-nodes adds to the plant's own address space; with --nodeset the twin serves the file's",
      'leave one of them out',
    );
  if (f.nodeset !== undefined && (f.generate || f.opcua === false))
    throw usageError(`--nodeset is for the OPC UA server${f.generate ? ', not --generate' : ', and --no-opcua leaves it out'}`);
  const timeScale = Number(f.timeScale);
  if (!(timeScale > 0) || !Number.isFinite(timeScale))
    throw usageError(`--time-scale ${f.timeScale}: give a positive number (1 = real time, 3600 = an hour per second)`);
  return {
    ...(f.plant === undefined ? {} : { plantFile: f.plant }),
    ...(f.seed === undefined ? {} : { seed: integer(f.seed, '--seed', 0, 2 ** 32 - 1) }),
    ...(f.start === undefined ? {} : { start: parseTimeArg(f.start, '--start') }),
    ...(f.age === undefined ? {} : { ageMs: nonNegativeDuration(f.age, '--age') }),
    timeScale,
    host: f.host,
    opcua: f.opcua && {
      port: port(f.opcuaPort, '--opcua-port'),
      profile: f.profile,
      ...(f.pkiDir === undefined ? {} : { pkiDir: f.pkiDir }),
      acceptAnyClientCert: Boolean(f.acceptAnyClientCert),
      trustLocalClient: f.trustLocalClient !== false,
      limits,
      ...(f.extraNodes === undefined ? {} : { extraNodes: integer(f.extraNodes, '--extra-nodes', 0, 2_000_000) }),
      ...(f.nodeset === undefined ? {} : { nodeset: f.nodeset }),
    },
    modbus: f.modbus && { port: port(f.modbusPort, '--modbus-port'), unknownUnit: f.unknownUnit },
    mqtt: f.mqtt && {
      port: port(f.mqttPort, '--mqtt-port'),
      auth: Boolean(f.mqttAuth),
      ...(f.mqttNagle ? { nagle: true } : {}),
      json: f.jsonTopics,
      sparkplug: f.sparkplug,
      ...(f.mqttBroker === undefined ? {} : { brokerUrl: brokerUrl(f.mqttBroker) }),
    },
    ...(f.rtu === undefined
      ? {}
      : {
          rtu: {
            path: f.rtu,
            baudRate: integer(f.rtuBaud, '--rtu-baud', 300, 4_000_000),
            parity: f.rtuParity,
            unitId: integer(f.rtuUnit, '--rtu-unit', 1, 247),
            dataBits: integer(f.rtuDataBits, '--rtu-data-bits', 7, 8) as 7 | 8,
            stopBits: integer(f.rtuStopBits, '--rtu-stop-bits', 1, 2) as 1 | 2,
          },
        }),
    user: f.user,
    ...(f.passwordFile === undefined ? {} : { passwordFile: f.passwordFile }),
    updateIntervalMs: positiveDuration(f.updateInterval, '--update-interval'),
    ...(f.freeze === undefined
      ? {}
      : {
          frozen: f.freeze
            .split(',')
            .map((t) => t.trim())
            .filter(Boolean),
        }),
    ...(f.readyFile === undefined ? {} : { readyFile: f.readyFile }),
    ...(f.duration === undefined ? {} : { durationMs: positiveDuration(f.duration, '--duration') }),
    ...(generate ? { generate } : {}),
  };
}

function generateSpan(f: SimFlags): number {
  if (f.days !== undefined && f.span !== undefined) throw usageError('give --days or --span, not both');
  if (f.span !== undefined) return positiveDuration(f.span, '--span');
  const days = Number(f.days ?? '7');
  if (!(days > 0) || days > 3650) throw usageError(`--days ${f.days}: give a number of days between 0 and 3650`);
  return days * 86_400_000;
}

function missing(option: string, example: string): never {
  throw usageError(`--generate needs ${option}`, `for example: ${example}`);
}

function integer(text: string, option: string, min: number, max: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || n < min || n > max) throw usageError(`${option} ${text}: give a whole number from ${min} to ${max}`);
  return n;
}

function port(text: string, option: string): number {
  return integer(text, option, 0, 65535);
}

function optionalInt<K extends string>(text: string | undefined, option: string, key: K): Partial<Record<K, number>> {
  return text === undefined ? {} : ({ [key]: integer(text, option, 0, 1_000_000) } as Partial<Record<K, number>>);
}

function positiveDuration(text: string, option: string): number {
  const ms = parseDuration(text, option);
  if (!(ms > 0)) throw usageError(`${option} ${text}: must be longer than zero`);
  return ms;
}

function nonNegativeDuration(text: string, option: string): number {
  return parseDuration(text, option);
}

function brokerUrl(text: string): string {
  if (!/^mqtts?:\/\/[^/]+/.test(text)) throw usageError(`--mqtt-broker ${text}: give a broker URL such as mqtt://127.0.0.1:1883`);
  return text;
}
