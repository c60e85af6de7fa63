/**
 * Every protocol client with its event loop blocked right after it sent something, longer than
 * its timeout, as iiot's own work blocks it (loading node-opcua for another source of the same
 * recording did exactly this): the peer, a separate process, answers meanwhile, so nothing may
 * time out. A peer that does not answer still times out. Peers: `iiot sim` (OPC UA, Modbus TCP)
 * and Debian's mosquitto, each in its own process.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseOpcUaConnectOptions } from '../../src/protocols/opcua/flags.js';
import { parseTarget, type ModbusTcpTarget, type MqttTarget } from '../../src/core/targets.js';
import { openModbusLink, ModbusReadError } from '../../src/protocols/modbus/client.js';
import { ModbusProbeClient } from '../../src/protocols/modbus/probe-client.js';
import { connectMqttClient } from '../../src/protocols/mqtt/connect.js';
import { connectMqtt } from '../../src/protocols/mqtt/probe-client.js';
import { getEndpoints } from '../../src/protocols/opcua/endpoints.js';
import { Pki } from '../../src/protocols/opcua/pki.js';
import { openSession } from '../../src/protocols/opcua/session.js';
import { preloadProtocols } from '../../src/protocols/preload.js';
import { openTcp } from '../../src/protocols/tcp/connect.js';
import { blockLoop } from '../helpers/busy.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { startSim, type RunningSim } from '../helpers/sim.js';
import { scaled } from '../helpers/time-scale.js';
import { removeTempDirs } from '../helpers/temp.js';

let sim: RunningSim;
let mosquitto: Mosquitto;

beforeAll(async () => {
  // unit ids the plant does not have get no answer at all (a gateway that drops them)
  [sim, mosquitto] = await Promise.all([startSim(['--no-mqtt', '--unknown-unit', 'ignore']), startMosquitto()]);
}, scaled(120_000));

afterAll(async () => {
  await Promise.all([sim?.stop(), mosquitto?.stop()]);
  removeTempDirs();
});

/**
 * Starts `send` from the check phase of the event loop, lets its writes reach the socket (only
 * microtasks run: nothing can be read meanwhile), then blocks the loop for `ms`. After a block
 * in the check phase Node runs expired timers before it polls the sockets again: a plain timer
 * would fire before the answer that came meanwhile is read.
 */
async function sendThenBlock<T>(send: () => Promise<T>, ms: number): Promise<T> {
  await new Promise((r) => setImmediate(r));
  const p = send();
  p.catch(() => undefined);
  for (let i = 0; i < 50; i++) await Promise.resolve();
  blockLoop(ms);
  return p;
}

/** float32 from two registers, high word first (the SDM630's order) */
function float32(words: number[]): number {
  const b = Buffer.alloc(4);
  b.writeUInt16BE(words[0]!, 0);
  b.writeUInt16BE(words[1]!, 2);
  return b.readFloatBE(0);
}

describe('clients whose event loop was blocked past their timeout', () => {
  it('TCP connect', async () => {
    const { socket } = await sendThenBlock(() => openTcp('127.0.0.1', sim.ports.modbus!, 200), 1000);
    expect(socket.remotePort).toBe(sim.ports.modbus);
    socket.destroy();
  });

  it('Modbus TCP through modbus-serial (record): the connect and a read of the SDM630 voltage', async () => {
    const target = parseTarget(`modbus://127.0.0.1:${sim.ports.modbus}?unit=1`) as ModbusTcpTarget;
    const link = await sendThenBlock(() => openModbusLink(target, { timeoutMs: 300, connectTimeoutMs: 300 }), 1200);
    try {
      // SDM630 input registers 0-1: phase 1 voltage, float32
      const volts = float32(
        await sendThenBlock(() => link.read({ table: 'input', functionCode: 4, address: 0, length: 2, entries: [] }), 1200),
      );
      expect(volts).toBeGreaterThan(200);
      expect(volts).toBeLessThan(260);
    } finally {
      await link.close();
    }
    // a unit nobody answers for still times out
    const silent = await openModbusLink(parseTarget(`modbus://127.0.0.1:${sim.ports.modbus}?unit=77`) as ModbusTcpTarget, {
      timeoutMs: 300,
    });
    try {
      const err = await silent.read({ table: 'holding', functionCode: 3, address: 0, length: 1, entries: [] }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ModbusReadError);
      expect((err as ModbusReadError).kind).toBe('timeout');
    } finally {
      await silent.close();
    }
  });

  it("Modbus TCP through the checks' probe client: a read", async () => {
    const c = await sendThenBlock(() => ModbusProbeClient.connect('127.0.0.1', sim.ports.modbus!, 300), 1000);
    try {
      const a = await sendThenBlock(() => c.readRegisters(1, 'input', 0, 2, 300), 1000);
      expect(a.exception).toBeUndefined();
      expect(float32([a.data.readUInt16BE(1), a.data.readUInt16BE(3)])).toBeGreaterThan(200);
    } finally {
      await c.close();
    }
  });

  it('MQTT through mqtt.js (record, replay, discover): the CONNACK, and a reconnect', async () => {
    const client = await sendThenBlock(
      () =>
        connectMqttClient(mosquitto.url, { clientId: 'iiot-test-busy', reconnectPeriod: 0, protocolVersion: 4, connectTimeout: 300 }, 300),
      1200,
    );
    try {
      expect(client.connected).toBe(true);
      // the connection drops; the reconnect's CONNACK also comes while iiot is busy
      const closed = new Promise<void>((r) => client.once('close', () => r()));
      client.stream.destroy();
      await closed;
      await sendThenBlock(() => {
        const back = new Promise<void>((r) => client.once('connect', () => r()));
        client.reconnect();
        return back;
      }, 1200);
      expect(client.connected).toBe(true);
    } finally {
      await client.endAsync(true);
    }
  });

  it("MQTT through the checks' probe client: TCP connect and CONNACK", async () => {
    const conn = await sendThenBlock(() => connectMqtt(parseTarget(mosquitto.url) as MqttTarget, { timeoutMs: 300 }), 1200);
    expect(conn.client.connected).toBe(true);
    await conn.close();
  });

  it('OPC UA through node-opcua: GetEndpoints, a secured session, and a Read', async () => {
    const url = sim.endpoints.opcua!;
    // node-opcua loaded first, as the workflows do (src/protocols/preload.ts)
    await preloadProtocols(['opcua']);
    const listing = await sendThenBlock(() => getEndpoints(url, { timeoutMs: 1000 }), 2500);
    expect(listing.map((e) => e.securityPolicy)).toContain('Basic256Sha256');

    // the store whose certificate `iiot sim` trusts (it trusts this machine's iiot client)
    const pki = new Pki(process.env.IIOT_PKI_DIR!);
    const io = { env: {}, stdin: process.stdin as never, stderr: process.stderr, info: () => undefined, warn: () => undefined };
    const s = await sendThenBlock(
      () => openSession({ connect: parseOpcUaConnectOptions(url, { timeout: '1s', trustOnFirstUse: true }), pki, io }),
      2500,
    );
    try {
      expect(s.endpoint.securityMode).toBe('SignAndEncrypt');
      const dv = await sendThenBlock(() => s.session.read({ nodeId: 'ns=5;s=plant.voltage', attributeId: 13 }), 2500);
      expect(dv.statusCode.isGood()).toBe(true);
      expect(dv.value.value as number).toBeGreaterThan(200);
    } finally {
      await s.close();
    }
  });
});
