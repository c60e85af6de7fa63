/**
 * Modbus's part of `iiot discover`: a one-register read and Read Device Identification on each
 * port and unit id (probe.ts), the devices (and a gateway with nothing behind it) in the inventory,
 * and the sweep of every serial port named, setting by setting and unit by unit (probe-rtu.ts).
 */
import { IiotError } from '../../core/errors.js';
import { ExitCode } from '../../core/exit-codes.js';
import { formatHost, parseTarget, type Target } from '../../core/targets.js';
import type { Ask, ProtocolScan, ScanContext, SerialPortTarget, Via } from '../discovery.js';
import type { ProbeIO } from '../probe-io.js';
import { settingText } from './describe.js';
import type { ModbusDevice, ModbusRtuDevice, SerialScan } from './inventory.js';
import { compressIds, identificationName, type ModbusTcpProbeResult } from './probe.js';
import type { RtuScanResult, RtuSetting } from './probe-rtu.js';

interface ModbusAsk extends Ask {
  unitIds: number[] | undefined;
  /** the port's protocol is not known: anything but Modbus on the first request means "not Modbus" */
  fingerprint: boolean;
}

const canonical = (url: string) => parseTarget(url).url;
const hostPort = (host: string, port: number) => `${formatHost(host)}:${port}`;

/** What a gateway's 0x0A / 0x0B answers mean, in the words of the Modbus specification. */
function gatewayDetail(answers: ReadonlyArray<{ exception: number }>): string {
  const codes = [...new Set(answers.map((a) => a.exception))].sort((a, b) => a - b);
  const words: Record<number, string> = { 10: 'gateway path unavailable', 11: 'gateway target device failed to respond' };
  return `the gateway answered ${codes.map((c) => `exception ${c} (${words[c] ?? 'gateway exception'})`).join(' and ')}`;
}

export function createModbusScan(ctx: ScanContext): ProtocolScan {
  const { settings: options, signal } = ctx;
  const serialScans: SerialScan[] = [];
  let serialWork: Promise<unknown> = Promise.resolve();

  const serialSettings = (s: SerialPortTarget): RtuSetting[] => {
    const bauds = s.baud !== undefined ? [s.baud] : options.bauds;
    const parities = s.parity !== undefined ? [s.parity] : options.parities;
    const out: RtuSetting[] = [];
    for (const baud of bauds)
      for (const parity of parities) out.push({ baud, parity, dataBits: s.dataBits ?? 8, stopBits: s.stopBits ?? 1 });
    return out;
  };
  const serialUnits = (s: SerialPortTarget): number[] =>
    options.unitIds ?? (s.unit !== undefined ? [s.unit] : Array.from({ length: 247 }, (_, i) => i + 1));

  const scanSerial = async (s: SerialPortTarget): Promise<void> => {
    const { scanRtu } = await import('./probe-rtu.js');
    const settings = serialSettings(s);
    const unitIds = serialUnits(s);
    let result: RtuScanResult;
    try {
      result = await scanRtu({
        path: s.path,
        settings,
        unitIds,
        unitTimeoutMs: options.unitTimeoutMs,
        signal,
        onProgress: (setting, unit) => ctx.tick(1, `${s.path} ${settingText(setting)} unit ${unit}`),
        debug: (line) => ctx.debug(line),
      });
    } catch (err) {
      if (err instanceof IiotError) {
        ctx.fail(err);
        ctx.incomplete(`${s.path}: ${err.message}`);
        ctx.noAnswer({ target: s.path, path: s.path, protocol: 'modbus-rtu', result: 'error', detail: err.message });
        return;
      }
      throw err;
    }
    if (!result.complete) ctx.incomplete(`${s.path}: interrupted`);
    for (const x of result.settings) {
      serialScans.push({
        path: s.path,
        setting: { ...x.setting },
        unitIds: x.unitIds,
        answered: [...x.answered],
        ms: Math.round(x.ms),
        unitTimeoutMs: x.timing.unitTimeoutMs,
        interFrameMs: Math.round(x.timing.interFrameMs * 1000) / 1000,
        charMs: Math.round(x.timing.charMs * 10000) / 10000,
      });
    }
    const byUnit = new Map<number, typeof result.found>();
    for (const f of result.found) byUnit.set(f.unit, [...(byUnit.get(f.unit) ?? []), f]);
    for (const [unit, list] of [...byUnit.entries()].sort((a, b) => a[0] - b[0])) {
      const first = list[0]!;
      const id = list.find((f) => f.identification)?.identification;
      const setting = first.setting;
      const url = canonical(
        `modbus-rtu://${s.path}?baud=${setting.baud}&parity=${setting.parity}&databits=${setting.dataBits}&stopbits=${setting.stopBits}&unit=${unit}`,
      );
      const device: ModbusRtuDevice = {
        url,
        name: identificationName(id) ?? `Modbus RTU device, unit ${unit}`,
        via: 'serial',
        protocol: 'modbus-rtu',
        path: s.path,
        unit,
        serial: { ...setting },
        ...(list.length > 1 ? { alsoAnswersAt: list.slice(1).map((f) => ({ ...f.setting })) } : {}),
        identity: id ?? {},
        modbus: {
          read: first.read,
          identification: first.identificationResult,
          ...(first.identificationDetail ? { identificationDetail: first.identificationDetail } : {}),
        },
        responseMs: Math.round(first.read.ms * 10) / 10,
        ...(list.length > 1
          ? {
              notes: [
                `also answers at ${list
                  .slice(1)
                  .map((f) => settingText(f.setting))
                  .join(
                    ', ',
                  )}: on a real line only one setting should work (a pseudo-terminal ignores settings; some devices ignore parity)`,
              ],
            }
          : {}),
      };
      ctx.push(device);
    }
    for (const summary of result.settings) {
      const tried = unitIds.slice(0, summary.unitIds);
      const silent = tried.filter((u) => !summary.answered.includes(u) && !summary.garbage.includes(u));
      if (silent.length > 0) {
        ctx.noAnswer({
          target: `${s.path} ${settingText(summary.setting)} units ${compressIds(silent)}`,
          path: s.path,
          protocol: 'modbus-rtu',
          setting: { ...summary.setting },
          units: compressIds(silent),
          result: 'no-device',
          detail: `no answer within ${summary.timing.unitTimeoutMs} ms`,
        });
      }
    }
    for (const g of result.garbage) {
      ctx.noAnswer({
        target: `${s.path} ${settingText(g.setting)} unit ${g.unit}`,
        path: s.path,
        protocol: 'modbus-rtu',
        setting: { ...g.setting },
        units: String(g.unit),
        result: 'garbage',
        detail: g.detail,
      });
      ctx.warn(
        `${s.path} at ${settingText(g.setting)}: unit ${g.unit} answered with a corrupt frame (${g.detail}): a device at other settings, or noise on the line`,
      );
    }
  };

  return {
    async prepare() {
      if (options.serial.length === 0) return;
      const { checkSerialPath } = await import('./probe-rtu.js');
      for (const s of options.serial) await checkSerialPath(s.path);
      if (options.unitIds?.includes(0) || options.serial.some((s) => s.unit === 0)) {
        throw new IiotError(ExitCode.Usage, 'unit id 0 is the broadcast address on a serial line: no device answers it', {
          hint: 'sweep 1-247 (the default on a serial port)',
        });
      }
    },
    plannedWork: () => options.serial.reduce((n, s) => n + serialSettings(s).length * serialUnits(s).length, 0),
    start() {
      serialWork = Promise.all(options.serial.map((s) => scanSerial(s)));
    },
    ask: (mark: string, _host: string, _port: number, fingerprint: boolean): ModbusAsk => ({ mark, unitIds: options.unitIds, fingerprint }),
    // a modbus-rtu:// URL is a serial port to sweep (above), not a port to ask
    askUrl: (t: Target, unitGiven: boolean): ModbusAsk | undefined =>
      t.protocol === 'modbus'
        ? { mark: 'modbus', unitIds: options.unitIds ?? (unitGiven ? [t.unit] : undefined), fingerprint: false }
        : undefined,
    async probe(io: ProbeIO, ask: Ask): Promise<ModbusTcpProbeResult> {
      const { unitIds, fingerprint } = ask as ModbusAsk;
      const { probeModbusTcp } = await import('./probe.js');
      return probeModbusTcp(io, { unitIds, unitTimeoutMs: options.unitTimeoutMs ?? Math.min(250, options.timeoutMs), fingerprint });
    },
    spoke: () => ({ protocol: 'modbus' }),
    record(found: unknown, host: string, port: number, via: Via) {
      const r = found as ModbusTcpProbeResult;
      const base = canonical(`modbus://${hostPort(host, port)}`).replace(/\?.*$/, '');
      for (const u of r.units) {
        const url = canonical(`${base}?unit=${u.unit}`);
        ctx.probed.add(url);
        const gateway = r.gatewayExceptions.length > 0 ? true : undefined;
        const device: ModbusDevice = {
          url,
          name: identificationName(u.identification) ?? `Modbus device, unit ${u.unit}`,
          via,
          host,
          port,
          protocol: 'modbus',
          unit: u.unit,
          identity: u.identification ?? {},
          modbus: {
            read: u.read,
            identification: u.identificationResult,
            ...(u.identificationDetail ? { identificationDetail: u.identificationDetail } : {}),
            ...(gateway ? { gateway } : {}),
          },
          responseMs: Math.round(u.read.ms * 10) / 10,
        };
        ctx.push(device);
      }
      if (r.units.length === 0 && r.gatewayExceptions.length > 0) {
        const first = r.gatewayExceptions[0]!;
        const ids = compressIds(r.gatewayExceptions.map((g) => g.unit));
        const device: ModbusDevice = {
          url: canonical(`${base}?unit=${first.unit}`),
          name: `Modbus TCP gateway, no device at unit ${ids}`,
          via,
          host,
          port,
          protocol: 'modbus',
          unit: first.unit,
          identity: {},
          modbus: {
            read: { function: 3, address: 0, answer: 'exception', exception: first.exception, ms: 0 },
            identification: 'no-answer',
            identificationDetail: 'not asked: the gateway has no device at this unit id',
            gateway: true,
          },
          notes: [
            `a gateway answers, but nothing behind it at unit ${ids}: sweep its unit ids with \`iiot discover ${base} --unit-ids 1-247\``,
          ],
        };
        ctx.push(device);
      }
      const swept = options.unitIds !== undefined;
      if (swept && r.silent.length > 0)
        ctx.noAnswer({
          target: `${base} units ${compressIds(r.silent)}`,
          host,
          port,
          protocol: 'modbus',
          units: compressIds(r.silent),
          result: 'no-device',
          detail: 'no answer within the unit timeout',
        });
      if (swept && r.gatewayExceptions.length > 0 && r.units.length > 0) {
        ctx.noAnswer({
          target: `${base} units ${compressIds(r.gatewayExceptions.map((g) => g.unit))}`,
          host,
          port,
          protocol: 'modbus',
          units: compressIds(r.gatewayExceptions.map((g) => g.unit)),
          result: 'no-device',
          detail: gatewayDetail(r.gatewayExceptions),
        });
      }
      for (const g of r.garbage) {
        ctx.noAnswer({
          target: `${base}?unit=${g.unit}`,
          host,
          port,
          protocol: 'modbus',
          units: String(g.unit),
          result: 'garbage',
          detail: g.detail,
        });
        ctx.warn(g.detail);
      }
    },
    async finish() {
      await serialWork;
    },
    sections: () => (serialScans.length ? { serialScans } : {}),
  };
}
