/**
 * `iiot read mqtt://...`: retained topics (or the first message within --timeout), decoded as the
 * recorder decodes them; Sparkplug B metrics by name (--sparkplug group/node[/device]); --watch
 * prints every message until Ctrl-C or --duration.
 */
import { IiotError, unreachableError } from '../core/errors.js';
import { ExitCode } from '../core/exit-codes.js';
import { emitJson, info, out, warn, type IO } from '../core/io.js';
import { formatDuration } from '../core/units.js';
import { readSparkplug, readTopics, SETTLE_MS, type SparkplugValue, type TopicMessage } from '../protocols/mqtt/read.js';
import type { MqttReadOptions, SparkplugSelection, TopicSelection } from './types.js';
import { sparkplugJson, sparkplugLine, sparkplugTable, topicJson, topicLines, topicStatus, topicTable } from './render.js';
import { INTERRUPTED, stopOnSignals } from './stop.js';

export async function readMqtt(io: IO, o: MqttReadOptions): Promise<number> {
  const stop = stopOnSignals();
  try {
    return o.select.kind === 'sparkplug' ? await sparkplug(io, o, o.select, stop.signal) : await topics(io, o, o.select, stop.signal);
  } finally {
    stop.dispose();
  }
}

function lostError(url: string, ended: { lost: string }): IiotError {
  return unreachableError(
    `${url}: ${ended.lost.replace(`${url} `, '')}`,
    'the values printed above are all that arrived; run again when the broker is back',
  );
}

async function topics(io: IO, o: MqttReadOptions, sel: TopicSelection, signal: AbortSignal): Promise<number> {
  const url = o.connect.target.url;
  const watch = o.mode === 'watch';
  // once: the newest message of each topic (a live one that came while waiting replaces the
  // retained one), in the order topics first arrived
  const latest = new Map<string, TopicMessage>();
  if (watch)
    info(
      io,
      `watching ${sel.filters.join(', ')} on ${url}${o.durationMs !== undefined ? ` for ${formatDuration(o.durationMs)}` : ''}; Ctrl-C to stop`,
    );
  const result = await readTopics({
    connect: o.connect,
    filters: sel.filters,
    decoder: sel.decoder,
    jsonPath: sel.jsonPath,
    watch,
    timeoutMs: o.timeoutMs,
    settleMs: SETTLE_MS,
    durationMs: o.durationMs,
    signal,
    env: io.env,
    onMessage: (m) => {
      if (!watch) {
        latest.set(m.topic, m);
        return;
      }
      if (io.json) io.stdout.write(`${JSON.stringify({ schema: 'iiot.read.change/1', endpoint: url, ...topicJson(m, m.filters[0]!) })}\n`);
      else for (const line of topicLines(m, io.style)) out(io, line);
    },
  });
  const messages = [...latest.values()];
  if (!watch) {
    if (io.json)
      emitJson(io, 'iiot.read/1', {
        endpoint: url,
        mode: 'once',
        values: messages.map((m) => topicJson(m, m.filters[0]!)),
        ...(result.silent.length ? { silent: result.silent } : {}),
      });
    else if (messages.length > 0) out(io, topicTable(messages, io.style));
    const retained = messages.filter((m) => m.retained).length;
    info(io, `${url}: ${messages.length} topic${messages.length === 1 ? '' : 's'} (${retained} retained)`);
  } else {
    info(io, `${result.messages} message${result.messages === 1 ? '' : 's'}`);
  }
  if (typeof result.ended === 'object') throw lostError(url, result.ended);
  if (result.ended === 'interrupted') return INTERRUPTED;
  if (watch) return ExitCode.Ok;
  const undecoded = messages.filter((m) => !m.decoded.ok && topicStatus(m) !== 'Sparkplug B');
  if (result.silent.length > 0) {
    const list = result.silent.join(', ');
    throw unreachableError(
      `no message on ${list} within ${formatDuration(o.timeoutMs)}: nothing retained there, nothing published`,
      `check the topic${result.silent.length > 1 ? 's' : ''} (\`iiot read ${url} "#" --watch\` shows what is published), or wait longer with --timeout`,
    );
  }
  if (undecoded.length > 0) {
    throw new IiotError(ExitCode.Usage, `could not decode ${undecoded.map((m) => `${m.topic} (${topicStatus(m)})`).join(', ')}`, {
      hint: `the payloads are shown in --json; choose the decoder that fits (--decoder auto, json, number or text${sel.jsonPath === undefined ? '' : ', or another --json-path'})`,
    });
  }
  return ExitCode.Ok;
}

async function sparkplug(io: IO, o: MqttReadOptions, sel: SparkplugSelection, signal: AbortSignal): Promise<number> {
  const url = o.connect.target.url;
  const scope = `${sel.groupId}/${sel.edgeNodeId}${sel.deviceId === undefined ? '' : `/${sel.deviceId}`}`;
  const watch = o.mode === 'watch';
  const latest = new Map<string, SparkplugValue>();
  const width = Math.max(12, ...sel.metrics.map((m) => m.length));
  if (sel.rebirth)
    info(io, `asking ${sel.groupId}/${sel.edgeNodeId} to publish its births again (NCMD Node Control/Rebirth: a write to the edge node)`);
  if (watch)
    info(
      io,
      `watching ${sel.metrics.length ? sel.metrics.join(', ') : 'every metric'} of ${scope} on ${url}${o.durationMs !== undefined ? ` for ${formatDuration(o.durationMs)}` : ''}; Ctrl-C to stop`,
    );
  const result = await readSparkplug({
    connect: o.connect,
    groupId: sel.groupId,
    edgeNodeId: sel.edgeNodeId,
    deviceId: sel.deviceId,
    metrics: sel.metrics,
    rebirth: sel.rebirth,
    watch,
    timeoutMs: o.timeoutMs,
    durationMs: o.durationMs,
    signal,
    env: io.env,
    onWarning: (text) => warn(io, text),
    onValue: (v) => {
      if (!watch) {
        latest.set(v.metric, v);
        return;
      }
      if (io.json)
        io.stdout.write(`${JSON.stringify({ schema: 'iiot.read.change/1', endpoint: url, sparkplug: scope, ...sparkplugJson(v) })}\n`);
      else out(io, sparkplugLine(v, width, io.style));
    },
  });
  // once: in the birth's order when there is one, else as they came
  const order = new Map(result.declared.map((n, i) => [n, i]));
  const values = [...latest.values()].sort((a, b) => (order.get(a.metric) ?? Infinity) - (order.get(b.metric) ?? Infinity));
  if (!watch) {
    if (io.json) {
      emitJson(io, 'iiot.read/1', {
        endpoint: url,
        mode: 'once',
        sparkplug: {
          groupId: sel.groupId,
          edgeNodeId: sel.edgeNodeId,
          ...(sel.deviceId === undefined ? {} : { deviceId: sel.deviceId }),
          birth: result.birth,
          rebirthRequested: result.rebirthSent,
        },
        values: values.map(sparkplugJson),
        ...(result.missing.length ? { missing: result.missing } : {}),
        ...(result.unknown.length ? { unknown: result.unknown } : {}),
      });
    } else if (values.length > 0) out(io, sparkplugTable(values, io.style));
    info(
      io,
      `${scope} on ${url}: ${values.length} metric${values.length === 1 ? '' : 's'}; birth ${result.birth === 'live' ? 'seen live' : result.birth === 'certificate' ? 'retained by the broker (Sparkplug Aware)' : 'not seen'}`,
    );
  } else {
    info(io, `${result.messages} message${result.messages === 1 ? '' : 's'}`);
  }
  if (typeof result.ended === 'object') throw lostError(url, result.ended);
  if (result.ended === 'interrupted') return INTERRUPTED;
  if (result.unknown.length > 0) {
    const known = result.declared;
    throw new IiotError(ExitCode.Usage, `${scope} has no metric ${result.unknown.map((u) => `"${u}"`).join(', ')}`, {
      hint: `its birth declares: ${known.slice(0, 12).join(', ')}${known.length > 12 ? ', ...' : ''}`,
    });
  }
  if (watch) {
    if (result.messages === 0) warn(io, `no Sparkplug message from ${scope} on ${url}`);
    return ExitCode.Ok;
  }
  const rebirthHint = 'add --rebirth to ask the edge node for its birth and every current value (a write: NCMD Node Control/Rebirth)';
  if (result.messages === 0) {
    throw unreachableError(
      `no Sparkplug message from ${scope} on ${url} within ${formatDuration(o.timeoutMs)}`,
      `check the group and edge node ids (\`iiot discover ${url} --protocols sparkplug\` lists them)${sel.rebirth ? '' : `; ${rebirthHint}`}`,
    );
  }
  if (result.birth === 'none' && (result.missing.length > 0 || values.length === 0)) {
    throw unreachableError(
      `${scope} sends data, but no birth was seen within ${formatDuration(o.timeoutMs)}: its metric names are unknown`,
      sel.rebirth
        ? 'the edge node did not answer the rebirth request; check that it is online (iiot discover)'
        : `${rebirthHint}; a Sparkplug Aware broker keeps births for late readers`,
    );
  }
  if (result.missing.length > 0) {
    throw unreachableError(
      `no value for ${result.missing.join(', ')} of ${scope} within ${formatDuration(o.timeoutMs)}: the edge node reports by exception and has not sent ${result.missing.length === 1 ? 'it' : 'them'} since iiot subscribed`,
      sel.rebirth ? 'the rebirth did not bring them either; check the edge node' : `${rebirthHint}, or wait longer with --timeout`,
    );
  }
  return ExitCode.Ok;
}
