/**
 * Modbus, over TCP (modbus://) and over a serial line (modbus-rtu://), as the registry
 * (../registry.ts) knows it. Cheap to load: modbus-serial and serialport are reached only through
 * the `await import` inside a factory.
 */
import type { ModbusRtuTarget, ModbusTcpTarget } from '../../core/targets.js';
import type { DiscoveryFactory } from '../discovery.js';
import type { LatencyFactory, ProtocolEntry, RecordFactory, ReplayFactory, SecurityFactory } from '../protocol.js';
import { modbusCsv, modbusDetails } from './describe.js';
import type { ModbusDevice, ModbusRtuDevice } from './inventory.js';
import { suggestBuiltinMap } from './map-suggest.js';
import type { ModbusSourceOptions } from './source.js';

/** A source as `iiot record` parses it; the recorder adds the reconnect ceiling. */
export type ModbusRecordOptions = Omit<ModbusSourceOptions, 'reconnectMaxMs'>;

/** `iiot replay --to modbus`: a Modbus TCP server on host:port. */
export interface ModbusReplaySpec {
  kind: 'modbus';
  host: string;
  port: number;
  /** a map whose entry names are capture tag names (for tags not recorded from Modbus) */
  map?: string | undefined;
  /** unit id of the --map's entries */
  unit: number;
}

const record: RecordFactory<ModbusRecordOptions> = {
  tagsKnownAtStart: true,
  endpoint: (o) => o.target.url,
  async create(options, { reconnectMaxMs, hooks }) {
    const { createModbusSource } = await import('./source.js');
    return createModbusSource({ ...options, reconnectMaxMs }, hooks);
  },
};

const replay: ReplayFactory<ModbusReplaySpec> = {
  async create(s, { warn }) {
    const { createModbusSink } = await import('./sink.js');
    return { sink: createModbusSink({ host: s.host, port: s.port, map: s.map, unit: s.unit, warn }), holdsState: true };
  },
};

const latency: LatencyFactory<ModbusTcpTarget | ModbusRtuTarget> = {
  async plans(t, o, { audit }) {
    const m = await import('./latency.js');
    const fc = o.modbus.table === 'holding' ? 3 : 4;
    const spec = {
      unit: o.modbus.unit,
      table: o.modbus.table,
      address: o.modbus.address,
      timeoutMs: o.timeoutMs,
      onRequest: (r: { name: string; detail: Record<string, unknown> }) => audit(r.name, r.detail),
    };
    return [
      {
        name: 'read',
        label: `read FC${fc} @${o.modbus.address}`,
        make: async () => (t.protocol === 'modbus' ? m.modbusTcpLatencyProbe(t, spec) : m.modbusRtuLatencyProbe(t, spec)),
      },
    ];
  },
};

const security: SecurityFactory<ModbusTcpTarget> = {
  rules: 'modbus',
  kinds: ['modbus'],
  async assess(target, settings, context, result) {
    const { assessModbus } = await import('./security-check.js');
    return assessModbus(target, settings, context, result);
  },
};

const discovery: DiscoveryFactory<ModbusDevice | ModbusRtuDevice> = {
  selectors: ['modbus'],
  aliases: ['modbus-tcp', 'modbus-rtu'],
  marks: { modbus: 'Modbus' },
  defaultPorts: [{ port: 502, protocol: 'modbus' }],
  rank: 0,
  looksLike: /502/,
  kinds: {
    modbus: { one: 'Modbus TCP device', many: 'Modbus TCP devices', summary: 'Modbus TCP' },
    'modbus-rtu': { one: 'Modbus RTU device', many: 'Modbus RTU devices', summary: 'Modbus RTU' },
  },
  details: modbusDetails,
  csv: modbusCsv,
  suggestMap(d) {
    const m = suggestBuiltinMap(d.identity);
    return m ? { name: m.map, meter: m.meter } : undefined;
  },
  async scan(context) {
    const { createModbusScan } = await import('./discover.js');
    return createModbusScan(context);
  },
};

export const modbus = {
  name: 'modbus',
  title: 'Modbus',
  schemes: [
    { scheme: 'modbus', kind: 'modbus', defaultPort: 502 },
    { scheme: 'modbus-tcp', kind: 'modbus', defaultPort: 502 },
    { scheme: 'modbus-rtu', kind: 'modbus-rtu' },
  ],
  record,
  replay,
  latency,
  security,
  discovery,
  notAudited: { 'modbus-rtu': 'Modbus RTU is a serial line: nothing to audit over the network' },
} as const satisfies ProtocolEntry;
