/**
 * mDNS browsing for _opcua-tcp._tcp. Loopback carries no multicast here, so the responder and the
 * query meet on unicast loopback addresses (multicast-dns's `ip`/`port`/`bind` options): the same
 * packets, the same parsing, only the delivery differs.
 */
import makeMdns from 'multicast-dns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browseOpcUaMdns, OPCUA_SERVICE } from '../../../src/protocols/opcua/mdns.js';
import { loopbackBlock } from '../../helpers/discovery-peers.js';
import { freePort } from '../../../src/protocols/listen.js';

const block = loopbackBlock();
const RESPONDER = block.host(1);
const ASKER = block.host(2);
let responder: ReturnType<typeof makeMdns>;
let port: number;
let queries = 0;

beforeAll(async () => {
  port = await freePort(RESPONDER);
  responder = makeMdns({ multicast: false, port, bind: RESPONDER, interface: RESPONDER, ip: RESPONDER });
  responder.on('query', (q, rinfo) => {
    if (!q.questions?.some((x) => x.name === OPCUA_SERVICE && x.type === 'PTR')) return;
    queries++;
    const instance = `Line PLC.${OPCUA_SERVICE}`;
    responder.respond(
      {
        answers: [{ name: OPCUA_SERVICE, type: 'PTR', data: instance }],
        additionals: [
          { name: instance, type: 'SRV', data: { target: 'line-plc.local', port: 4841 } },
          { name: instance, type: 'TXT', data: ['path=/UA/Line', 'caps=DA,HD'] },
          { name: 'line-plc.local', type: 'A', data: block.host(5) },
        ],
      },
      rinfo,
    );
  });
  await new Promise<void>((resolve) => responder.once('ready', () => resolve()));
});

afterAll(async () => {
  await new Promise<void>((resolve) => responder.destroy(() => resolve()));
});

describe('mDNS browsing', () => {
  it('asks once for _opcua-tcp._tcp and reads the answer into a server', async () => {
    const r = await browseOpcUaMdns({ durationMs: 500, ip: RESPONDER, port, bind: ASKER, multicast: false });
    expect(queries).toBe(1);
    expect(r.error).toBeUndefined();
    expect(r.servers).toEqual([
      {
        instance: 'Line PLC',
        host: 'line-plc.local',
        port: 4841,
        address: block.host(5),
        path: '/UA/Line',
        capabilities: ['DA', 'HD'],
        url: `opc.tcp://${block.host(5)}:4841/UA/Line`,
      },
    ]);
  });

  it('returns no server when nobody answers', async () => {
    const silent = await freePort(ASKER);
    const r = await browseOpcUaMdns({ durationMs: 200, ip: block.host(3), port: silent, bind: ASKER, multicast: false });
    expect(r.servers).toEqual([]);
  });
});
