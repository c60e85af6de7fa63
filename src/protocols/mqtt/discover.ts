/**
 * MQTT's part of `iiot discover`: a CONNECT on each port, plain or over TLS (probe.ts), the broker
 * in the inventory, and with sparkplug among --protocols a listen on every broker that let us in
 * anonymously, for the Sparkplug B groups, edge nodes and devices publishing there
 * (sparkplug-listen.ts).
 */
import { describeError } from '../../core/errors.js';
import { formatHost, parseTarget, type Target } from '../../core/targets.js';
import { formatDuration } from '../../core/units.js';
import type { Ask, ProtocolScan, ScanContext, Via } from '../discovery.js';
import type { ProbeIO } from '../probe-io.js';
import type { MqttDevice } from './inventory.js';
import type { MqttProbeResult } from './probe.js';

interface MqttAsk extends Ask {
  tls: boolean;
}

interface Found {
  tls: boolean;
  result: MqttProbeResult;
}

const canonical = (url: string) => parseTarget(url).url;
const hostPort = (host: string, port: number) => `${formatHost(host)}:${port}`;

export function createMqttScan(ctx: ScanContext): ProtocolScan {
  const { settings: options, signal } = ctx;

  // Sparkplug: listen on every broker that let us in anonymously.
  const listen = async () => {
    const brokers = ctx.devices().filter((d): d is MqttDevice => d.protocol === 'mqtt');
    ctx.plan(brokers.length);
    const { listenSparkplug } = await import('./sparkplug-listen.js');
    await Promise.all(
      brokers.map(async (b) => {
        if (b.identity.anonymous !== 'accepted') {
          (b.notes ??= []).push('Sparkplug not listened to: the broker wants authentication');
          ctx.tick();
          return;
        }
        try {
          await ctx.hostLock(b.host).use(async () => {
            // A listen is seconds of silence: the progress line counts them down, so the scan
            // never looks hung (it was one unchanging line for the whole --listen).
            const started = Date.now();
            const countdown = () =>
              ctx.note(
                `listening for Sparkplug births on ${b.url}: ${Math.max(0, Math.ceil((options.listenMs - (Date.now() - started)) / 1000))} s left`,
              );
            countdown();
            const ticker = ctx.showsProgress ? setInterval(countdown, 1000) : undefined;
            ctx.debug(`listening for Sparkplug births on ${b.url} for ${options.listenMs} ms`);
            const r = await listenSparkplug({
              url: b.url,
              listenMs: options.listenMs,
              rebirth: options.rebirth,
              timeoutMs: options.timeoutMs,
              signal,
              slot: () => ctx.slot(),
              debug: (line) => ctx.debug(line),
            }).finally(() => clearInterval(ticker));
            const { brokerVersion, ...rest } = r;
            b.sparkplug = rest;
            if (brokerVersion) {
              b.identity.version = brokerVersion;
              b.name = `${brokerVersion} (${b.name})`;
            }
            const nodes = r.groups.flatMap((g) => g.nodes);
            const id = (n: { groupId: string; edgeNodeId: string }) => `${n.groupId}/${n.edgeNodeId}`;
            // births that came but did not decode: a rebirth would bring the same bytes again
            const garbled = [
              ...nodes.filter((n) => n.birth === 'not-seen' && n.undecodableBirths).map((n) => ({ who: id(n), error: n.birthError })),
              ...nodes.flatMap((n) =>
                n.devices
                  .filter((d) => d.birth === 'not-seen' && d.undecodableBirths)
                  .map((d) => ({ who: `${id(n)}/${d.deviceId}`, error: d.birthError })),
              ),
            ];
            if (garbled.length > 0) {
              (b.notes ??= []).push(
                `${garbled.map((g) => g.who).join(', ')}: births seen but not decodable as Sparkplug B (${garbled[0]!.error ?? 'damaged payload'}); a rebirth would bring the same; iiot record --raw keeps such payloads byte-exact for the vendor`,
              );
            }
            const quiet = nodes.filter((n) => n.birth === 'not-seen' && !n.undecodableBirths);
            if (quiet.length > 0 && !options.rebirth) {
              (b.notes ??= []).push(
                `${quiet.map(id).join(', ')}: seen in data only, births not seen; --rebirth asks the node to publish them again (a write: NCMD Node Control/Rebirth)`,
              );
            }
            const unanswered = quiet.filter((n) => n.rebirthRequested);
            if (unanswered.length > 0) {
              (b.notes ??= []).push(
                `${unanswered.map(id).join(', ')}: asked to rebirth, but no birth came back within the ${formatDuration(r.listenedMs)} listen: the node may not act on Node Control/Rebirth, or needs longer (--listen)`,
              );
            }
          });
        } catch (err) {
          if (ctx.isAbort(err)) return;
          (b.notes ??= []).push(`Sparkplug listen failed: ${describeError(err)}`);
        } finally {
          ctx.tick();
        }
      }),
    );
  };

  return {
    ask: (mark: string): MqttAsk => ({ mark, tls: mark === 'mqtts' }),
    askUrl: (t: Target): MqttAsk | undefined => (t.protocol === 'mqtt' ? { mark: t.tls ? 'mqtts' : 'mqtt', tls: t.tls } : undefined),
    async probe(io: ProbeIO, ask: Ask): Promise<Found> {
      const { tls } = ask as MqttAsk;
      const { probeMqtt } = await import('./probe.js');
      return { tls, result: await probeMqtt(io, { tls }) };
    },
    spoke: (found: unknown) => ({ protocol: 'mqtt', ...((found as Found).tls ? { tls: true as const } : {}) }),
    record(found: unknown, host: string, port: number, via: Via) {
      const f = found as Found;
      const r = f.result;
      const url = canonical(`${f.tls ? 'mqtts' : 'mqtt'}://${hostPort(host, port)}`);
      ctx.probed.add(url);
      const device: MqttDevice = {
        url,
        name: `MQTT ${r.protocolVersion} broker${f.tls ? ' (TLS)' : ''}, ${r.anonymous === 'accepted' ? 'anonymous accepted' : r.anonymous === 'refused' ? 'authentication required' : `CONNACK: ${r.connack.reason}`}`,
        via,
        host,
        port,
        protocol: 'mqtt',
        identity: {
          protocolVersion: r.protocolVersion,
          anonymous: r.anonymous,
          connack: r.connack,
          ...(r.capabilities ? { capabilities: r.capabilities } : {}),
        },
        ...(r.tls ? { tls: { ...r.tls } } : {}),
      };
      ctx.push(device);
    },
    async afterScan() {
      if (options.protocols.has('sparkplug') && options.probe && !signal.aborted && options.listenMs > 0) await listen();
    },
  };
}
