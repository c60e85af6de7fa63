import { describe, expect, it } from 'vitest';
import {
  identificationFromObjects,
  identificationPdu,
  mbapFrame,
  mbapRequest,
  parseIdentificationPdu,
  parseMbap,
  readIdentificationData,
  readPdu,
} from '../../src/protocols/modbus/frames.js';
import { identificationName } from '../../src/protocols/modbus/probe.js';
import { charBits, rtuTiming } from '../../src/protocols/modbus/probe-rtu.js';
import { connackFrame, connectPacket, parseConnack } from '../../src/protocols/mqtt/probe.js';
import { serversFromRecords } from '../../src/protocols/opcua/mdns.js';
import { helloAnswerFrame, helloMessage, parseHelloAnswer } from '../../src/protocols/opcua/probe.js';

describe('Modbus TCP frames', () => {
  it('writes MBAP requests and finds complete answers', () => {
    const req = mbapRequest(7, 1, [0x03, 0, 0, 0, 1]);
    expect([...req]).toEqual([0, 7, 0, 0, 0, 6, 1, 3, 0, 0, 0, 1]);
    const answer = Buffer.from([0, 7, 0, 0, 0, 5, 1, 3, 2, 0x12, 0x34]);
    expect(mbapFrame(answer.subarray(0, 8))).toBeUndefined();
    expect(mbapFrame(answer)).toBe(11);
    expect(mbapFrame(Buffer.concat([answer, Buffer.from([0, 8])]))).toBe(11);
    expect(parseMbap(answer)).toMatchObject({ transaction: 7, unit: 1, functionCode: 3 });
    // HTTP is not MBAP: protocol id "TP" is not 0
    expect(mbapFrame(Buffer.from('HTTP/1.0 400'))).toBe('garbage');
    expect(mbapFrame(Buffer.from([0, 1, 0, 0, 0x10, 0]))).toBe('garbage');
  });

  it('reads device identification objects', () => {
    const obj = (id: number, s: string) => [id, s.length, ...Buffer.from(s)];
    const pdu = Buffer.from([0x2b, 0x0e, 0x01, 0x82, 0x00, 0x00, 0x03, ...obj(0, 'Acme'), ...obj(1, 'PM-1'), ...obj(2, '1.4')]);
    const r = parseIdentificationPdu(pdu);
    expect(r.conformity).toBe(0x82);
    expect(r.moreFollows).toBe(false);
    const id = identificationFromObjects(r.objects, r.conformity);
    expect(id).toEqual({ vendor: 'Acme', productCode: 'PM-1', revision: '1.4', conformityLevel: 0x82 });
    expect(identificationName(id)).toBe('Acme PM-1 v1.4');
    expect(() => parseIdentificationPdu(Buffer.from([0x2b, 0x0e, 0x01, 0x01, 0x00, 0x00, 0x02, 0x00, 0x09, 0x41]))).toThrow('truncated');
  });

  it('reads a cut-off identification as far as it goes for the checks, unchanged', () => {
    const r = readIdentificationData(Buffer.from([0x0e, 0x01, 0x01, 0x00, 0x00, 0x02, 0x00, 0x02, 0x41, 0x20, 0x01, 0x09, 0x42]));
    expect(r?.truncated).toBe('object');
    expect([...r!.objects]).toEqual([
      [0, 'A '],
      [1, 'B'],
    ]);
    expect(readIdentificationData(Buffer.from([0x0e, 0x01, 0x01, 0x00, 0x00, 0x03, 0x00, 0x01, 0x41]))?.truncated).toBe('object list');
    expect(readIdentificationData(Buffer.from([0x0d, 0x01, 0x01, 0x00, 0x00, 0x00]))).toBeUndefined();
  });

  it('encodes only read functions: a write or diagnostics is refused before a frame exists', () => {
    for (const fc of [5, 6, 8, 15, 16, 22, 23])
      expect(() => mbapRequest(1, 1, [fc, 0, 0, 0, 1])).toThrow(`refusing to send Modbus function ${fc}`);
    expect(() => mbapRequest(1, 1, [])).toThrow('refusing to send');
    for (const fc of [1, 2, 3, 4] as const)
      expect([...mbapRequest(9, 2, readPdu(fc, 0x0102, 3))]).toEqual([0, 9, 0, 0, 0, 6, 2, fc, 1, 2, 0, 3]);
    expect([...mbapRequest(9, 2, identificationPdu(1, 0))]).toEqual([0, 9, 0, 0, 0, 5, 2, 0x2b, 0x0e, 1, 0]);
  });
});

describe('MQTT frames', () => {
  it('writes CONNECT in 5 and 3.1.1', () => {
    const v5 = connectPacket('5.0', 'x');
    expect(v5[0]).toBe(0x10);
    expect(v5.subarray(2, 9).toString('latin1')).toBe('\u0000\u0004MQTT\u0005');
    const v4 = connectPacket('3.1.1', 'x');
    expect(v4[8]).toBe(4);
    expect(v4.length).toBe(v5.length - 1); // no properties
  });

  it('tells a 3.1.1 CONNACK from an MQTT 5 one and reads properties', () => {
    const refused = Buffer.from([0x20, 0x02, 0x00, 0x01]);
    expect(connackFrame(refused)).toBe(4);
    expect(parseConnack(refused)).toMatchObject({ remainingLength: 2, code: 1 });
    // MQTT 5: success, properties: maximum QoS 1 (0x24), retain available 0 (0x25)
    const v5 = Buffer.from([0x20, 0x07, 0x00, 0x00, 0x04, 0x24, 0x01, 0x25, 0x00]);
    expect(connackFrame(v5.subarray(0, 5))).toBeUndefined();
    const c = parseConnack(v5);
    expect(c.code).toBe(0);
    expect(c.properties).toEqual({ maximumQoS: 1, retainAvailable: false });
    expect(connackFrame(Buffer.from('SSH-2.0-OpenSSH'))).toBe('garbage');
  });
});

describe('OPC UA Hello', () => {
  it('writes HEL and reads ACK and ERR', () => {
    const hel = helloMessage('opc.tcp://127.0.0.1:4840');
    expect(hel.toString('latin1', 0, 4)).toBe('HELF');
    expect(hel.readUInt32LE(4)).toBe(hel.length);
    const ack = Buffer.alloc(28);
    ack.write('ACKF', 0, 'latin1');
    ack.writeUInt32LE(28, 4);
    expect(helloAnswerFrame(ack.subarray(0, 10))).toBeUndefined();
    expect(helloAnswerFrame(ack)).toBe(28);
    expect(parseHelloAnswer(ack)).toEqual({ kind: 'ack' });
    const reason = Buffer.from('no such endpoint');
    const err = Buffer.alloc(16 + reason.length);
    err.write('ERRF', 0, 'latin1');
    err.writeUInt32LE(err.length, 4);
    err.writeUInt32LE(0x80830000, 8);
    err.writeInt32LE(reason.length, 12);
    reason.copy(err, 16);
    expect(parseHelloAnswer(err)).toEqual({ kind: 'err', status: 'BadTcpEndpointUrlInvalid', reason: 'no such endpoint' });
    expect(helloAnswerFrame(Buffer.from([0x20, 0x02, 0x00, 0x00]))).toBe('garbage');
  });
});

describe('Modbus RTU timing', () => {
  it('follows the 3.5 character rule, fixed at 1.75 ms above 19200 baud', () => {
    const s = { baud: 9600, parity: 'even' as const, dataBits: 8 as const, stopBits: 1 as const };
    expect(charBits(s)).toBe(11);
    const t = rtuTiming(s);
    expect(t.charMs).toBeCloseTo(11 / 9.6, 6);
    expect(t.interFrameMs).toBeCloseTo(3.5 * (11 / 9.6), 6);
    expect(t.requestMs).toBeCloseTo(8 * (11 / 9.6), 6);
    expect(t.unitTimeoutMs).toBe(Math.ceil(t.requestMs + t.responseMs + 2 * t.interFrameMs + 100));
    expect(rtuTiming({ ...s, baud: 38400 }).interFrameMs).toBe(1.75);
    expect(rtuTiming(s, 100, 40).unitTimeoutMs).toBe(40);
    expect(charBits({ dataBits: 8, parity: 'none', stopBits: 2 })).toBe(11);
  });
});

describe('mDNS records', () => {
  it('turns PTR, SRV, TXT and A records into servers', () => {
    const servers = serversFromRecords([
      { name: '_opcua-tcp._tcp.local', type: 'PTR', data: 'Line PLC._opcua-tcp._tcp.local' },
      { name: 'Line PLC._opcua-tcp._tcp.local', type: 'SRV', data: { target: 'plc.local', port: 4840, priority: 0, weight: 0 } },
      { name: 'Line PLC._opcua-tcp._tcp.local', type: 'TXT', data: [Buffer.from('path=/UA/Line'), Buffer.from('caps=DA,HD')] },
      { name: 'plc.local', type: 'A', data: '127.0.0.9' },
    ] as never);
    expect(servers).toEqual([
      {
        instance: 'Line PLC',
        host: 'plc.local',
        port: 4840,
        address: '127.0.0.9',
        path: '/UA/Line',
        capabilities: ['DA', 'HD'],
        url: 'opc.tcp://127.0.0.9:4840/UA/Line',
      },
    ]);
  });
});
