/**
 * `iiot replay` flags -> typed options (parseReplayFlags, the seam tests use): which sink, which
 * part of the capture, how fast; an option of another sink is a usage error naming it.
 */
import { PASSWORD_ENV } from '../core/credentials.js';
import { usageError } from '../core/errors.js';
import { parseTarget } from '../core/targets.js';
import { parseTimeArg } from '../core/time.js';
import { parseDuration } from '../core/units.js';
import type { ReplaySpec } from '../protocols/registry.js';

/** Where to play: a protocol's name (`kind`) and its options (each protocol's index.ts says what they are). */
export type SinkSpec = ReplaySpec;

export interface ReplayOptions {
  files: string[];
  allParts: boolean;
  sink: SinkSpec;
  speed: number;
  maxSpeed: boolean;
  loop: boolean;
  from?: number | undefined;
  to?: number | undefined;
  durationMs?: number | undefined;
  /** tag patterns (empty: all) */
  tags: string[];
  readyFile?: string | undefined;
  timestamps: 'recorded' | 'now';
}

export interface ReplayFlags {
  to?: string[];
  until?: string;
  from?: string;
  host: string;
  port?: string;
  speed?: string;
  maxSpeed?: boolean;
  loop?: boolean;
  duration?: string;
  tags?: string[];
  readyFile?: string;
  timestamps: 'recorded' | 'now';
  allParts?: boolean;
  pkiDir?: string;
  acceptAnyClientCert?: boolean;
  trustLocalClient?: boolean;
  map?: string;
  unit?: string;
  qos?: string;
  retain?: boolean;
  topicPrefix?: string;
  payload: 'json' | 'value';
  user?: string;
  passwordEnv?: string;
  passwordFile?: string;
  password?: string;
  nodeset?: string;
  profile?: 'default' | 'hardened' | 'weak';
  clientId?: string;
  ca?: string;
  cert?: string;
  key?: string;
  timeout?: string;
}

const SINKS = /^(opcua|opc\.tcp|modbus|mqtts?)(:\/\/.*)?$/i;
const DEFAULT_PORTS = { opcua: 4840, modbus: 5020, mqtt: 1883 } as const;

function int(text: string, option: string, min: number, max: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || n < min || n > max) throw usageError(`${option} ${text}: give a whole number from ${min} to ${max}`);
  return n;
}

/** Flags -> typed options. `--to` names the sink and, given a time, the end of the range. */
export function parseReplayFlags(files: string[], f: ReplayFlags, now = Date.now()): ReplayOptions {
  if (files.length === 0) throw usageError('no capture file given', 'iiot replay FILE --to opcua|modbus|mqtt');
  const tos = f.to ?? [];
  const sinks = tos.filter((t) => SINKS.test(t.trim()));
  const times = tos.filter((t) => !SINKS.test(t.trim()));
  if (sinks.length === 0)
    throw usageError(
      'where to? give --to opcua, --to modbus, --to mqtt (an embedded broker) or --to mqtt://host:port',
      'for example: iiot replay plant.jsonl --to opcua --port 4840',
    );
  if (sinks.length > 1)
    throw usageError(`--to names two sinks (${sinks.join(', ')}); replay to one at a time`, 'run iiot replay once per sink');
  if (times.length > 1 || (times.length === 1 && f.until !== undefined))
    throw usageError('the end of the range is given twice (--to TIME / --until)');
  const endText = times[0] ?? f.until;
  const from = f.from !== undefined ? parseTimeArg(f.from, '--from', 'UTC', now) : undefined;
  const to = endText !== undefined ? parseTimeArg(endText, times[0] !== undefined ? '--to' : '--until', 'UTC', now) : undefined;
  if (from !== undefined && to !== undefined && from >= to) throw usageError(`--from ${f.from} is not before ${endText}`);
  const sinkText = sinks[0]!.trim();
  const kind = /^mqtt/i.test(sinkText) ? 'mqtt' : /^modbus/i.test(sinkText) ? 'modbus' : 'opcua';
  const external = sinkText.includes('://');
  if (external && kind !== 'mqtt')
    throw usageError(
      `--to ${sinkText}: iiot replay serves OPC UA and Modbus itself`,
      `write --to ${kind} and choose the address with --host and --port`,
    );
  const port = f.port !== undefined ? int(f.port, '--port', 0, 65535) : DEFAULT_PORTS[kind];
  if (external && f.port !== undefined) throw usageError('--port is for the embedded broker; the broker URL already names its port');
  const only = (names: Array<keyof ReplayFlags>, sink: string) => {
    for (const n of names)
      if (f[n] !== undefined && f[n] !== false)
        throw usageError(`--${String(n).replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} is for --to ${sink}`);
  };
  if (kind !== 'opcua') only(['pkiDir', 'acceptAnyClientCert', 'nodeset', 'profile'], 'opcua');
  if (kind !== 'opcua' && f.trustLocalClient === false) throw usageError('--no-trust-local-client is for --to opcua');
  if (kind !== 'modbus') only(['map', 'unit'], 'modbus');
  if (kind !== 'mqtt') only(['qos', 'retain', 'topicPrefix', 'clientId', 'ca', 'cert', 'key'], 'mqtt');
  if (kind === 'modbus') only(['user', 'passwordEnv', 'passwordFile'], 'mqtt:// or --to opcua');
  if (f.password !== undefined)
    throw usageError(
      '--password is refused: a password on the command line ends up in shell history and process lists',
      `put it in $${PASSWORD_ENV} (or --password-env VAR) or in a file given with --password-file`,
    );
  let sink: SinkSpec;
  switch (kind) {
    case 'opcua':
      if ((f.passwordEnv !== undefined || f.passwordFile !== undefined) && f.user === undefined)
        throw usageError(
          '--password-env and --password-file go with --user',
          'iiot replay FILE --to opcua --user operator --password-file pw.txt',
        );
      sink = {
        kind,
        host: f.host,
        port,
        pkiDir: f.pkiDir,
        acceptAnyClientCert: Boolean(f.acceptAnyClientCert),
        ...(f.nodeset === undefined ? {} : { nodeset: f.nodeset }),
        profile: f.profile ?? 'default',
        ...(f.user === undefined
          ? {}
          : {
              user: {
                name: f.user,
                passwordEnv: f.passwordEnv ?? PASSWORD_ENV,
                ...(f.passwordFile === undefined ? {} : { passwordFile: f.passwordFile }),
              },
            }),
        trustLocalClient: f.trustLocalClient !== false,
      };
      break;
    case 'modbus':
      sink = { kind, host: f.host, port, map: f.map, unit: int(f.unit ?? '1', '--unit', 0, 255) };
      break;
    case 'mqtt': {
      const qos = f.qos ?? '0';
      if (!/^[012]$/.test(qos)) throw usageError(`--qos ${qos}: give 0, 1 or 2`);
      let broker: Extract<SinkSpec, { kind: 'mqtt' }>['broker'];
      if (external) {
        const target = parseTarget(sinkText);
        if (target.protocol !== 'mqtt') throw usageError(`--to ${sinkText}: not an MQTT broker URL`);
        if (!external && f.user !== undefined) throw usageError('--user is for an external broker (--to mqtt://host:port)');
        const timeoutMs = parseDuration(f.timeout ?? '10s', '--timeout');
        broker = {
          target,
          ...(f.clientId === undefined ? {} : { clientId: f.clientId }),
          ...(f.user === undefined ? {} : { user: f.user }),
          passwordEnv: f.passwordEnv ?? PASSWORD_ENV,
          ...(f.passwordFile === undefined ? {} : { passwordFile: f.passwordFile }),
          ...(f.ca === undefined ? {} : { ca: f.ca }),
          ...(f.cert === undefined ? {} : { cert: f.cert }),
          ...(f.key === undefined ? {} : { key: f.key }),
          timeoutMs,
        };
      } else if (f.user !== undefined || f.ca !== undefined) {
        throw usageError('--user, --ca, --cert and --key are for an external broker', 'write --to mqtt://host:port');
      }
      sink = {
        kind,
        broker,
        host: f.host,
        port,
        qos: Number(qos) as 0 | 1 | 2,
        retain: Boolean(f.retain),
        topicPrefix: f.topicPrefix ?? '',
        payload: f.payload,
      };
      break;
    }
  }
  let speed = 1;
  if (f.speed !== undefined) {
    speed = Number(f.speed.replace(/x$/i, ''));
    if (!(speed > 0) || !Number.isFinite(speed))
      throw usageError(`--speed ${f.speed}: give a positive number (2 = twice as fast, 0.5 = half speed)`);
  }
  if (f.maxSpeed && f.speed !== undefined) throw usageError('--speed and --max-speed cannot go together');
  const durationMs = f.duration !== undefined ? parseDuration(f.duration, '--duration') : undefined;
  return {
    files,
    allParts: Boolean(f.allParts),
    sink,
    speed,
    maxSpeed: Boolean(f.maxSpeed),
    loop: Boolean(f.loop),
    ...(from !== undefined ? { from } : {}),
    ...(to !== undefined ? { to } : {}),
    ...(durationMs !== undefined ? { durationMs } : {}),
    tags: (f.tags ?? [])
      .flatMap((t) => t.split(','))
      .map((s) => s.trim())
      .filter(Boolean),
    ...(f.readyFile !== undefined ? { readyFile: f.readyFile } : {}),
    timestamps: f.timestamps,
  };
}
