/**
 * The descriptor iiot decodes with (src/protocols/mqtt/sparkplug-schema.ts) is the specification's
 * schema: protobufjs's own .proto parser, given the file as published in the Sparkplug 3.0
 * specification (fixtures/sparkplug/sparkplug_b.proto), makes the same thing of it.
 */
import { readFileSync } from 'node:fs';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { SPARKPLUG_SCHEMA } from '../../../src/protocols/mqtt/sparkplug-schema.js';

describe('the Sparkplug B schema', () => {
  it("equals the specification's sparkplug_b.proto, field for field", () => {
    const spec = protobuf.parse(readFileSync(new URL('../../../fixtures/sparkplug/sparkplug_b.proto', import.meta.url), 'utf8'), {
      keepCase: true,
    }).root;
    const ours = protobuf.Root.fromJSON(SPARKPLUG_SCHEMA as protobuf.INamespace);
    expect(ours.toJSON()).toEqual(spec.toJSON());
    // and the comparison is not vacuous: the value fields of a metric are there, with their numbers
    const metric = ours.lookupType('org.eclipse.tahu.protobuf.Payload.Metric');
    expect(metric.fields.int_value!.id).toBe(10);
    expect(metric.fields.int_value!.type).toBe('uint32');
    expect(metric.fields.long_value!.type).toBe('uint64');
  });
});
