// OPC UA crawl: iiot's batched crawler against a naive one (one Browse per node, following its
// continuation points, and one Read per variable) over the same server, in the same run: the
// embedded plant with the standard, DI, IA and Machinery nodesets plus 100 000 synthetic
// variables, served from a child process so the client's memory is measured alone. Also the
// session set-up time with security None and with Basic256Sha256 SignAndEncrypt.
// Targets (issue 3): at least 20x fewer requests and at least 10x faster than naive.
//   node --import tsx bench/opcua-crawl.ts            (BENCH_EXTRA_NODES=20000 for a quick run)
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parseOpcUaConnectOptions } from '../src/protocols/opcua/flags.js';
import { listChildren } from '../src/protocols/opcua/browse-path.js';
import { crawl } from '../src/protocols/opcua/crawler.js';
import { loadClient } from '../src/protocols/opcua/load.js';
import { Pki } from '../src/protocols/opcua/pki.js';
import { openSession, type OpcUaSession, type SessionIO } from '../src/protocols/opcua/session.js';
import { fmt, markdownTable, median } from './lib.js';

const EXTRA = Number(process.env.BENCH_EXTRA_NODES ?? 100_000);
// A full collection before and after each crawl makes the heap figure the crawl's own retained data
// (bench/run.ts starts scripts without --expose-gc).
setFlagsFromString('--expose_gc');
const gc = runInNewContext('gc') as () => void;
const SETUP_RUNS = Number(process.env.BENCH_SETUP_RUNS ?? 7);

// --- the server side (child process) -------------------------------------------------------
if (process.argv[2] === '--serve') {
  const { startPlant } = await import('../src/sim/plant.js');
  const [pkiDir, extra] = [process.argv[3]!, Number(process.argv[4])];
  const plant = await startPlant({ modbus: false, mqtt: false, opcua: { port: 0, pkiDir, extraNodes: extra, historyBackfillMs: 0 } });
  process.stdout.write(
    `${JSON.stringify({ url: plant.endpoints.opcua, cert: plant.opcua!.certificateFile, nodeCount: plant.opcua!.nodeCount, startupMs: plant.startupMs.opcua })}\n`,
  );
  process.stdin.resume();
  process.stdin.on('end', () => void plant.stop().then(() => process.exit(0)));
} else {
  await main();
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'iiot-bench-crawl-'));
  const pki = new Pki(join(work, 'client-pki'));
  const own = await pki.ownCertificate();
  await pki.close();
  const serverPki = join(work, 'server-pki');
  mkdirSync(join(serverPki, 'trusted', 'certs'), { recursive: true });
  copyFileSync(own.file, join(serverPki, 'trusted', 'certs', 'iiot-bench.pem'));

  process.stderr.write(`opcua-crawl: starting the plant with ${EXTRA} extra nodes...\n`);
  const child = spawn(process.execPath, ['--import', 'tsx', new URL(import.meta.url).pathname, '--serve', serverPki, String(EXTRA)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const first = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`plant exited with ${code}`)));
  });
  const server = JSON.parse(first) as { url: string; cert: string; nodeCount: number; startupMs: number };
  pki.trust(server.cert);
  const io: SessionIO = {
    env: {},
    stdin: process.stdin as SessionIO['stdin'],
    stderr: process.stderr,
    info: () => undefined,
    warn: () => undefined,
  };
  const session = (mode: 'None' | 'SignAndEncrypt') =>
    openSession({ connect: parseOpcUaConnectOptions(server.url, { securityMode: mode, timeout: '60s' }), pki, io });

  try {
    // Session set-up, interleaved.
    const setup: Record<string, number[]> = { None: [], SignAndEncrypt: [] };
    for (let i = 0; i < SETUP_RUNS + 1; i++) {
      for (const mode of ['None', 'SignAndEncrypt'] as const) {
        const s = await session(mode);
        if (i > 0) setup[mode]!.push(s.timings.totalMs);
        await s.close();
      }
    }

    // A server builds some caches on first use: warm it up so neither crawler pays for that.
    process.stderr.write('opcua-crawl: warm-up crawl...\n');
    const warm = await session('None');
    await crawl(warm.session, { roots: ['i=84'], attributes: true });
    await warm.close();

    // Crawls: batched first, naive second, each on a fresh session, memory sampled meanwhile.
    process.stderr.write('opcua-crawl: batched crawl...\n');
    const batched = await measure(async (s) => {
      const r = await crawl(s.session, { roots: ['i=84'] });
      if (!r.complete) throw new Error(`batched crawl incomplete: ${r.partialReason}`);
      return { nodes: r.nodes.length, keep: r };
    });
    process.stderr.write(`opcua-crawl: naive crawl of ${batched.nodes} nodes (one request per node)...\n`);
    const naive = await measure(async (s) => ({ nodes: await naiveCrawl(s) }));

    const row = (name: string, m: Measured) => [
      name,
      m.nodes.toLocaleString('en-US'),
      m.requests.toLocaleString('en-US'),
      fmt(m.ms / 1000, 2),
      Math.round(m.nodes / (m.ms / 1000)).toLocaleString('en-US'),
      fmt(m.peakRssMb, 0),
      fmt(m.heapDeltaMb, 0),
    ];
    console.log(
      `### Crawl of the whole plant address space (standard + DI + IA + Machinery + ${EXTRA.toLocaleString('en-US')} synthetic variables; server in a child process, ${server.nodeCount.toLocaleString('en-US')} nodes in all namespaces)\n`,
    );
    console.log(
      markdownTable(
        ['crawler', 'nodes', 'requests', 'seconds', 'nodes/s', 'peak RSS MB', 'heap growth MB'],
        [row('iiot (batched)', batched), row('naive (1 Browse per node, 1 Read per variable)', naive)],
      ),
    );
    const fewer = naive.requests / batched.requests;
    const faster = naive.ms / batched.ms;
    console.log(
      `\n${fmt(fewer, 0)}x fewer requests (target 20x: ${fewer >= 20 ? 'met' : 'MISSED'}), ${fmt(faster, 1)}x faster (target 10x: ${faster >= 10 ? 'met' : 'MISSED'}); ` +
        `both found ${batched.nodes === naive.nodes ? 'the same' : 'DIFFERENT'} number of nodes. Heap growth is the client's retained crawl result ` +
        `(${fmt((batched.heapDeltaMb * 1024 * 1024) / batched.nodes, 0)} bytes per node).`,
    );
    console.log(`\n### Session set-up (GetEndpoints + secure channel + CreateSession/ActivateSession, median of ${SETUP_RUNS})\n`);
    console.log(
      markdownTable(
        ['security', 'median ms'],
        [
          ['None', fmt(median(setup.None!), 1)],
          ['Basic256Sha256 SignAndEncrypt', fmt(median(setup.SignAndEncrypt!), 1)],
        ],
      ),
    );
  } finally {
    child.stdin!.end();
    await new Promise((r) => child.once('exit', r));
  }

  interface Measured {
    nodes: number;
    requests: number;
    ms: number;
    peakRssMb: number;
    heapDeltaMb: number;
  }

  /** Runs one crawl on a fresh session; `keep` holds the result alive until the heap is measured. */
  async function measure(work: (s: OpcUaSession) => Promise<{ nodes: number; keep?: unknown }>): Promise<Measured> {
    const s = await session('None');
    try {
      gc();
      const heap0 = process.memoryUsage().heapUsed;
      let peak = process.memoryUsage().rss;
      const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 25);
      const r0 = s.requests();
      const t0 = performance.now();
      const { nodes, keep } = await work(s);
      const ms = performance.now() - t0;
      clearInterval(timer);
      peak = Math.max(peak, process.memoryUsage().rss);
      gc();
      const heapDelta = process.memoryUsage().heapUsed - heap0;
      void keep;
      return { nodes, requests: s.requests() - r0, ms, peakRssMb: peak / 2 ** 20, heapDeltaMb: heapDelta / 2 ** 20 };
    } finally {
      await s.close();
    }
  }
}

/** What a simple client does: browse each node on its own, read each variable on its own. */
async function naiveCrawl(s: OpcUaSession): Promise<number> {
  const m = await loadClient();
  const A = m.AttributeIds;
  const seen = new Set(['i=84']);
  const queue = ['i=84'];
  while (queue.length) {
    const id = queue.shift()!;
    for (const c of await listChildren(s.session, id)) {
      if (seen.has(c.nodeId)) continue;
      seen.add(c.nodeId);
      queue.push(c.nodeId);
      if (c.nodeClass === 'Variable') {
        // The same attributes the batched crawler reads, one request per variable.
        const items = [A.DataType, A.ValueRank, A.AccessLevel, A.UserAccessLevel].map((attributeId) => ({ nodeId: c.nodeId, attributeId }));
        if (c.ns === 0 && (c.browseName === 'EngineeringUnits' || c.browseName === 'EURange'))
          items.push({ nodeId: c.nodeId, attributeId: A.Value });
        await s.session.read(items);
      }
    }
  }
  return seen.size;
}
