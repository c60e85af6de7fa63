import { afterEach, describe, expect, it, vi } from 'vitest';
import { RateLimiter, Semaphore } from '../../src/discovery/limiter.js';
import { parseDiscoverOptions, parsePorts, parseProtocols, parseUnitIds, parseBauds, parseParities } from '../../src/discovery/options.js';
import { cidrRange, ipRange, parseTargets, resolveHosts, intToIpv4 } from '../../src/discovery/targets.js';
import { fingerprintOrder } from '../../src/discovery/scan.js';
import { compressIds } from '../../src/protocols/modbus/probe.js';
import { usageErrorOf } from '../helpers/errors.js';

describe('targets', () => {
  it('expands CIDR blocks without network and broadcast addresses, /31 and /32 whole', () => {
    const r = cidrRange('127.0.0.0/29');
    expect([intToIpv4(r.first), intToIpv4(r.last)]).toEqual(['127.0.0.1', '127.0.0.6']);
    const one = cidrRange('127.0.0.5/32');
    expect([intToIpv4(one.first), intToIpv4(one.last)]).toEqual(['127.0.0.5', '127.0.0.5']);
    const two = cidrRange('127.0.0.4/31');
    expect([intToIpv4(two.first), intToIpv4(two.last)]).toEqual(['127.0.0.4', '127.0.0.5']);
  });

  it('reads full and short IP ranges', () => {
    expect(ipRange('127.0.0.1-127.0.0.9')).toEqual(ipRange('127.0.0.1-9'));
    const r = ipRange('127.0.0.250-127.0.1.2');
    expect(r.last - r.first + 1).toBe(9);
  });

  it('sorts arguments into hosts, ranges, URLs and serial ports', async () => {
    const p = parseTargets([
      '127.0.0.1',
      '127.0.0.0/30',
      'opc.tcp://127.0.0.1:4841/UA',
      'modbus://127.0.0.1:5020?unit=3',
      '/dev/ttyUSB0',
      'COM3',
      'localhost',
    ]);
    expect(p.hostSpecs.map((h) => (h.kind === 'address' ? h.address : h.name))).toEqual(['127.0.0.1', 'localhost']);
    expect(p.ranges).toHaveLength(1);
    expect(p.urls.map((u) => u.url)).toEqual(['opc.tcp://127.0.0.1:4841/UA', 'modbus://127.0.0.1:5020?unit=3']);
    expect(p.urls[1]!.unitGiven).toBe(true);
    expect(p.serial.map((s) => s.path)).toEqual(['/dev/ttyUSB0', 'COM3']);
    const hosts = await resolveHosts(p, async () => '127.0.0.1');
    // each address once: 127.0.0.1 named, resolved from localhost and inside the /30
    expect(hosts.map((h) => h.address)).toEqual(['127.0.0.1', '127.0.0.2']);
  });

  it('takes serial settings fixed by a modbus-rtu URL', () => {
    const p = parseTargets(['modbus-rtu:///dev/ttyUSB1?baud=19200&parity=even']);
    expect(p.serial[0]).toMatchObject({ path: '/dev/ttyUSB1', baud: 19200, parity: 'even' });
    expect(p.serial[0]!.unit).toBeUndefined();
  });

  it('refuses malformed targets with one line and a hint', () => {
    expect(usageErrorOf(() => parseTargets(['127.0.0.300'])).message).toContain('not an IPv4 address');
    expect(usageErrorOf(() => parseTargets(['127.0.0.9-127.0.0.1'])).message).toContain('ends before it starts');
    expect(usageErrorOf(() => parseTargets(['127.0.0.0/33'])).message).toContain('/33');
    expect(usageErrorOf(() => parseTargets(['127.0.0.1/24'])).hint).toContain('127.0.0.0/24');
    expect(usageErrorOf(() => parseTargets(['127.0.0.1:502'])).hint).toContain('modbus://127.0.0.1:502');
    expect(usageErrorOf(() => parseTargets(['tcp://127.0.0.1:80'])).message).toContain('tcp://');
    expect(usageErrorOf(() => parseTargets(['not a host!'])).message).toContain('not an address');
    expect(usageErrorOf(() => parseTargets(['::1/120'])).message).toContain('IPv6');
  });
});

describe('options', () => {
  it('adds --ports to the default ports of the chosen protocols', () => {
    const o = parseDiscoverOptions(['127.0.0.1'], { ports: '4841,1502:modbus', protocols: 'opcua,modbus' });
    expect(o.ports).toEqual([
      { port: 502, protocol: 'modbus' },
      { port: 1502, protocol: 'modbus' },
      { port: 4840, protocol: 'opcua' },
      { port: 4841 },
      { port: 4843, protocol: 'opcua' },
    ]);
    const only = parseDiscoverOptions(['127.0.0.1'], { ports: '8000-8002', defaultPorts: false });
    expect(only.ports.map((p) => p.port)).toEqual([8000, 8001, 8002]);
    expect(parseDiscoverOptions(['127.0.0.1'], {}).ports.map((p) => p.port)).toEqual([502, 1883, 4840, 4843, 8883]);
  });

  it('has gentle defaults', () => {
    const o = parseDiscoverOptions(['127.0.0.1'], {});
    expect(o).toMatchObject({
      rate: 20,
      concurrency: 1,
      timeoutMs: 2000,
      listenMs: 10_000,
      rebirth: false,
      mdns: false,
      probe: true,
      unitIds: undefined,
    });
    expect([...o.protocols]).toEqual(['opcua', 'modbus', 'mqtt', 'sparkplug']);
    expect(parseDiscoverOptions(['127.0.0.1'], { rate: 'off' }).rate).toBe(0);
  });

  it('refuses what it cannot use', () => {
    expect(usageErrorOf(() => parseProtocols('opcua,bacnet')).message).toContain('"bacnet"');
    expect(usageErrorOf(() => parsePorts('70000')).message).toContain('70000');
    expect(usageErrorOf(() => parsePorts('502:s7')).hint).toContain('opcua');
    expect(usageErrorOf(() => parseUnitIds('1-300')).message).toContain('0-255');
    expect(usageErrorOf(() => parseBauds('fast')).hint).toContain('9600');
    expect(usageErrorOf(() => parseParities('none,weird')).message).toContain('weird');
    expect(usageErrorOf(() => parseDiscoverOptions([], {})).hint).toContain('iiot discover 127.0.0.1');
    expect(usageErrorOf(() => parseDiscoverOptions(['127.0.0.0/21'], {})).message).toContain('2,046 addresses');
    expect(parseDiscoverOptions(['127.0.0.0/21'], { yes: true }).targets.addressCount).toBe(2046);
    expect(usageErrorOf(() => parseDiscoverOptions(['127.0.0.1'], { ports: '1502:modbus', protocols: 'opcua' })).message).toContain(
      'marked modbus',
    );
    expect(usageErrorOf(() => parseDiscoverOptions(['/dev/ttyUSB0'], { protocols: 'opcua' })).hint).toContain('modbus');
    expect(usageErrorOf(() => parseDiscoverOptions(['127.0.0.1'], { rebirth: true, protocols: 'mqtt' })).message).toContain('--rebirth');
    expect(usageErrorOf(() => parseDiscoverOptions(['127.0.0.1'], { defaultPorts: false })).message).toContain('--no-default-ports');
    expect(usageErrorOf(() => parseDiscoverOptions(['127.0.0.1'], { csv: true, json: true })).message).toContain('--csv');
    expect(usageErrorOf(() => parseDiscoverOptions(['127.0.0.1'], { timeout: '5' })).message).toContain('--timeout');
  });

  it('asks an unmarked port in Modbus first, unless its number suggests another protocol', () => {
    expect(fingerprintOrder(8000)).toEqual(['modbus', 'opcua', 'mqtt']);
    expect(fingerprintOrder(15020)).toEqual(['modbus', 'opcua', 'mqtt']);
    expect(fingerprintOrder(14840)).toEqual(['opcua', 'modbus', 'mqtt']);
    expect(fingerprintOrder(11883)).toEqual(['mqtt', 'modbus', 'opcua']);
  });

  it('reads unit id lists', () => {
    expect(parseUnitIds('3,1-2,10')).toEqual([1, 2, 3, 10]);
    expect(compressIds([1, 2, 3, 5, 7, 8])).toBe('1-3,5,7-8');
  });
});

describe('politeness', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('spaces new connections evenly at the rate asked (on a fake clock)', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const limiter = new RateLimiter(10);
    const at: number[] = [];
    const start = performance.now();
    const all = Array.from({ length: 5 }, () => Promise.resolve(limiter.take()).then(() => at.push(performance.now() - start)));
    await vi.runAllTimersAsync();
    await Promise.all(all);
    expect(at).toEqual([0, 100, 200, 300, 400]);
    expect(limiter.taken).toBe(5);
  });

  it('keeps at most N at a time per semaphore', async () => {
    const sem = new Semaphore(2);
    let running = 0;
    let peak = 0;
    const jobs = Array.from({ length: 8 }, () =>
      sem.use(async () => {
        running++;
        peak = Math.max(peak, running);
        await new Promise((r) => setImmediate(r));
        running--;
      }),
    );
    await Promise.all(jobs);
    expect(peak).toBe(2);
  });

  it('gives up waiting when interrupted', async () => {
    const ac = new AbortController();
    const sem = new Semaphore(1, ac.signal);
    const release = await sem.acquire();
    const waiting = [sem.acquire(), sem.acquire()];
    ac.abort();
    for (const w of waiting) await expect(w).rejects.toThrow('interrupted');
    release();
    await expect(sem.acquire()).rejects.toThrow('interrupted');
  });
});
