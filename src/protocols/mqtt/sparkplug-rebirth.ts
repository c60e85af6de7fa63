/**
 * The one Sparkplug B message `iiot read --rebirth` writes: NCMD with the metric
 * "Node Control/Rebirth" = true (Sparkplug 3.0, 6.4.6 and 7.2.2), which asks an edge node to
 * publish its NBIRTH and DBIRTHs again. Encoded here from the specification's protobuf schema
 * (sparkplug_b.proto) rather than with the payload codec, which is a decoder for everything else:
 * five fields, fixed, so the write path stays small and reviewable. test/read/mqtt.test.ts
 * decodes it with the codec and has the simulated edge node answer it.
 *
 *   Payload { timestamp = 1 (uint64), metrics = 2 (Metric) }
 *   Metric  { name = 1 (string), timestamp = 3 (uint64), datatype = 4 (uint32), boolean_value = 14 (bool) }
 */

export const REBIRTH_METRIC = 'Node Control/Rebirth';
/** Sparkplug B DataType Boolean */
const BOOLEAN = 11;

function varint(n: number): number[] {
  const out: number[] = [];
  let v = BigInt(n);
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) byte |= 0x80;
    out.push(byte);
  } while (v > 0n);
  return out;
}

/** field number and wire type (0 varint, 2 length-delimited) */
const key = (field: number, wire: 0 | 2) => varint((field << 3) | wire);
const delimited = (field: number, bytes: readonly number[]) => [...key(field, 2), ...varint(bytes.length), ...bytes];

/** spBv1.0/<group>/NCMD/<edge node> */
export function rebirthTopic(groupId: string, edgeNodeId: string): string {
  return `spBv1.0/${groupId}/NCMD/${edgeNodeId}`;
}

export function rebirthPayload(now = Date.now()): Buffer {
  const metric = [
    ...delimited(1, [...Buffer.from(REBIRTH_METRIC, 'utf8')]),
    ...key(3, 0),
    ...varint(now),
    ...key(4, 0),
    ...varint(BOOLEAN),
    ...key(14, 0),
    1,
  ];
  return Buffer.from([...key(1, 0), ...varint(now), ...delimited(2, metric)]);
}
