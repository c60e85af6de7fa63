/**
 * An MQTT broker in the inventory (docs/inventory.md): its CONNACK, TLS, and the Sparkplug B
 * groups, edge nodes and devices heard during the listen.
 */
import { z } from 'zod';
import { certificate, deviceFields, int, networkFields, str } from '../inventory.js';

const sparkplugDevice = z.object({
  deviceId: str,
  online: z.boolean().nullable(),
  metrics: int.nullable(),
  birth: z.enum(['live', 'certificate', 'not-seen']),
  dataMessages: int,
  undecodableBirths: int.optional(),
  birthError: str.optional(),
});
const sparkplugNode = z.object({
  groupId: str,
  edgeNodeId: str,
  online: z.boolean().nullable(),
  bdSeq: int.nullable(),
  metrics: int.nullable(),
  birth: z.enum(['live', 'certificate', 'not-seen']),
  dataMessages: int,
  rebirthRequested: z.boolean(),
  undecodableBirths: int.optional(),
  birthError: str.optional(),
  devices: z.array(sparkplugDevice),
});
const sparkplug = z.object({
  listenedMs: z.number(),
  messages: int,
  undecodable: int,
  certificates: z.boolean(),
  groups: z.array(z.object({ groupId: str, nodes: z.array(sparkplugNode) })),
  hosts: z.array(z.object({ hostId: str, online: z.boolean().nullable(), spec: str })),
  rebirthsSent: int,
  error: str.optional(),
});

export const mqttDeviceSchema = z.object({
  ...deviceFields,
  ...networkFields,
  protocol: z.literal('mqtt'),
  identity: z.object({
    protocolVersion: z.enum(['5.0', '3.1.1']),
    anonymous: z.enum(['accepted', 'refused', 'unknown']),
    connack: z.object({ code: int, reason: str }),
    capabilities: z.record(str, z.union([str, z.number(), z.boolean()])).optional(),
    version: str.optional(),
  }),
  tls: z
    .looseObject({
      protocol: str,
      cipher: str,
      authorized: z.boolean(),
      authorizationError: str.optional(),
      certificate: certificate.optional(),
    })
    .optional(),
  sparkplug: sparkplug.optional(),
});

export type MqttDevice = z.infer<typeof mqttDeviceSchema>;
export type SparkplugSection = z.infer<typeof sparkplug>;
