/**
 * `iiot read mqtt://...` flags -> MqttReadOptions (loaded by options.ts for MQTT endpoints only):
 * topic filters with the recorder's decoders, or a Sparkplug node and metric names.
 */
import { PASSWORD_ENV } from '../core/credentials.js';
import { usageError } from '../core/errors.js';
import type { MqttTarget } from '../core/targets.js';
import { parseDuration } from '../core/units.js';
import type { MqttConnectOptions } from '../protocols/mqtt/connect.js';
import { checkTopicFilter, parseDecoder, parseJsonPath } from '../protocols/mqtt/decoders.js';
import type { MqttReadOptions, ReadFlags, ReadMode } from './types.js';

export const MQTT_DEFAULT_TIMEOUT = '5s';

/** "IIoT/SimPlant", "IIoT/SimPlant/pump1", or a Sparkplug topic as mosquitto_sub prints it. */
export function parseSparkplugScope(text: string): { groupId: string; edgeNodeId: string; deviceId?: string } {
  const t = text.trim();
  const levels = t.split('/');
  let parts: string[];
  if (levels[0] === 'spBv1.0') {
    // spBv1.0/<group>/<type>/<node>[/<device>]
    if (levels.length < 4 || levels.length > 5)
      throw usageError(`--sparkplug "${text}": a Sparkplug topic is spBv1.0/<group>/<type>/<node>[/<device>]`);
    parts = [levels[1]!, levels[3]!, ...levels.slice(4)];
  } else parts = levels;
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => p === '' || /[+#]/.test(p))) {
    throw usageError(
      `--sparkplug "${text}": give <group>/<edge node> or <group>/<edge node>/<device>`,
      'for example --sparkplug IIoT/SimPlant or --sparkplug IIoT/SimPlant/pump1 (iiot discover lists them)',
    );
  }
  return { groupId: parts[0]!, edgeNodeId: parts[1]!, ...(parts[2] === undefined ? {} : { deviceId: parts[2] }) };
}

export function parseMqttReadFlags(target: MqttTarget, items: string[], f: ReadFlags): MqttReadOptions {
  const timeoutMs = parseDuration(f.timeout ?? MQTT_DEFAULT_TIMEOUT, '--timeout');
  if (timeoutMs < 100)
    throw usageError(`--timeout ${f.timeout}: too short to connect to a broker`, 'give at least 100ms; the default is 5s');
  const durationMs = f.duration !== undefined ? parseDuration(f.duration, '--duration') : undefined;
  const passwordEnv = f.passwordEnv ?? PASSWORD_ENV;
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(passwordEnv))
    throw usageError(`--password-env: "${passwordEnv}" is not an environment variable name`, "give the variable's name, not the password");
  if (f.user === undefined && (f.passwordEnv !== undefined || f.passwordFile !== undefined))
    throw usageError('a password was given but no --user', 'add --user <name>');
  const connect: MqttConnectOptions = {
    target,
    ...(f.clientId === undefined ? {} : { clientId: f.clientId }),
    ...(f.user === undefined ? {} : { user: f.user }),
    passwordEnv,
    ...(f.passwordFile === undefined ? {} : { passwordFile: f.passwordFile }),
    ...(f.ca === undefined ? {} : { ca: f.ca }),
    ...(f.cert === undefined ? {} : { cert: f.cert }),
    ...(f.key === undefined ? {} : { key: f.key }),
    timeoutMs,
  };
  if (!target.tls && (f.ca !== undefined || f.cert !== undefined || f.key !== undefined)) {
    throw usageError(`--ca, --cert and --key are for TLS: ${target.url} is plain MQTT`, `write mqtts://${target.host}:8883 for TLS`);
  }
  const common = { protocol: 'mqtt' as const, connect, mode: (f.watch ? 'watch' : 'once') as ReadMode, durationMs, timeoutMs };
  if (f.sparkplug !== undefined) {
    if (f.decoder !== undefined || f.jsonPath !== undefined)
      throw usageError('--decoder and --json-path are for topics, not for --sparkplug', 'Sparkplug B metrics carry their own types');
    const scope = parseSparkplugScope(f.sparkplug);
    return { ...common, select: { kind: 'sparkplug', ...scope, metrics: items, rebirth: Boolean(f.rebirth) } };
  }
  if (f.rebirth) throw usageError('--rebirth goes with --sparkplug', 'for example --sparkplug IIoT/SimPlant power --rebirth');
  if (items.length === 0)
    throw usageError(
      'name the topics to read (filters with + and # are fine), or a Sparkplug node with --sparkplug',
      'for example: iiot read mqtt://127.0.0.1:1883 "plant/#"',
    );
  for (const filter of items) {
    try {
      checkTopicFilter(filter);
    } catch (err) {
      // decoders.ts words it for record's --topic; here the filter is an argument
      throw usageError((err as Error).message.replace(/^--topic /, 'topic filter '), (err as { hint?: string }).hint);
    }
    if (/^spBv1\.0(\/|$)/.test(filter)) {
      throw usageError(
        `${filter}: Sparkplug B payloads are read by metric name`,
        'use --sparkplug <group>/<edge node>[/<device>] [metric...], e.g. --sparkplug IIoT/SimPlant power',
      );
    }
  }
  const decoder = parseDecoder(f.decoder ?? 'auto');
  if (decoder === 'sparkplug' || decoder === 'none')
    throw usageError(
      `--decoder ${decoder} does not fit a read`,
      decoder === 'sparkplug' ? 'use --sparkplug <group>/<edge node>' : 'one of auto, json, number, text',
    );
  if (f.jsonPath !== undefined) {
    parseJsonPath(f.jsonPath);
    if (decoder === 'number' || decoder === 'text') throw usageError(`--json-path goes with the json or auto decoder, not ${decoder}`);
  }
  return { ...common, select: { kind: 'topics', filters: items, decoder, ...(f.jsonPath === undefined ? {} : { jsonPath: f.jsonPath }) } };
}
