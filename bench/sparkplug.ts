// Sparkplug B decoding: iiot's decodeSparkplug (values by the specification: sign extension,
// exact 64-bit, DataSets, templates, qualities) against protobufjs's bare decode of the same bytes
// with the same schema (the floor: no value handling at all), on payloads Eclipse Tahu's Python
// edge node published (fixtures/sparkplug/tahu-python.json). Interleaved rounds, medians.
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import protobuf from 'protobufjs/light.js';
import { decodeSparkplug } from '../src/protocols/mqtt/sparkplug-codec.js';
import { SPARKPLUG_SCHEMA } from '../src/protocols/mqtt/sparkplug-schema.js';
import { fmt, markdownTable, median, ROOT } from './lib.js';

const fixture = JSON.parse(readFileSync(`${ROOT}/fixtures/sparkplug/tahu-python.json`, 'utf8')) as {
  messages: Array<{ topic: string; hex: string }>;
};
const bare = protobuf.Root.fromJSON(SPARKPLUG_SCHEMA as protobuf.INamespace).lookupType('org.eclipse.tahu.protobuf.Payload');
const cases: Array<[string, Buffer]> = [
  ['NBIRTH: DataSet, template definition, 10 metrics', 3],
  ['DBIRTH: 16 integers at their edges', 1],
  ['DDATA: 2 metrics, Quality property', 5],
].map(([name, i]) => [name as string, Buffer.from(fixture.messages[i as number]!.hex, 'hex')]);

const N = Number(process.env.BENCH_N ?? 5000);
const rounds = Number(process.env.BENCH_RUNS ?? 7);
const perMessage = (fn: () => void): number => {
  const t0 = performance.now();
  for (let i = 0; i < N; i++) fn();
  return ((performance.now() - t0) * 1000) / N;
};
const rows: Array<Array<string | number>> = [];
for (const [name, bytes] of cases) {
  const ours: number[] = [];
  const floor: number[] = [];
  perMessage(() => decodeSparkplug(bytes)); // warm-up
  perMessage(() => bare.decode(bytes));
  for (let r = 0; r < rounds; r++) {
    floor.push(perMessage(() => bare.decode(bytes)));
    ours.push(perMessage(() => decodeSparkplug(bytes)));
  }
  rows.push([
    name,
    bytes.length,
    fmt(median(floor)),
    fmt(median(ours)),
    `${fmt(median(ours) / median(floor), 2)}x`,
    fmt(1e6 / median(ours), 0),
  ]);
}
console.log(`### Sparkplug B decoding (${rounds} interleaved rounds of ${N} decodes, median µs per message, Node ${process.version})\n`);
console.log(
  `Load average while measured: ${fmt(loadavg()[0]!, 1)} on ${cpus().length} cores (absolute times grow with it; the ratio is the figure to compare).\n`,
);
console.log(markdownTable(['payload (Tahu Python)', 'bytes', 'protobufjs decode only', 'decodeSparkplug', 'ratio', 'messages/s'], rows));
