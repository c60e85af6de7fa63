/**
 * An OPC UA server in the inventory (docs/inventory.md): its application description, endpoints
 * and certificate, the servers a discovery server knows; and the inventory's mDNS section.
 */
import { z } from 'zod';
import { certificate, deviceFields, int, networkFields, str } from '../inventory.js';

const application = z.object({
  applicationName: str,
  applicationUri: str,
  productUri: str,
  applicationType: str,
  discoveryUrls: z.array(str),
});

const endpoint = z.object({
  endpointUrl: str,
  securityMode: str,
  securityPolicy: str,
  securityLevel: z.number(),
  transport: str,
  userTokens: z.array(z.object({ type: str, policyId: str, securityPolicy: str.optional() })),
  certificateSha1: str.optional(),
});

export const opcuaDeviceSchema = z.object({
  ...deviceFields,
  ...networkFields,
  protocol: z.literal('opcua'),
  identity: application.partial(),
  endpoints: z.array(endpoint),
  certificate: certificate.optional(),
  registeredServers: z.array(application.extend({ contacted: z.boolean() })).optional(),
  serversOnNetwork: z
    .array(z.object({ recordId: int, serverName: str, discoveryUrl: str, capabilities: z.array(str), contacted: z.boolean() }))
    .optional(),
});

/** The inventory's `mdns` section: what answered an mDNS query for OPC UA servers. */
export const mdnsSchema = z.object({
  servers: z.array(
    z.object({
      instance: str,
      host: str,
      port: int,
      url: str,
      path: str,
      capabilities: z.array(str),
      address: str.optional(),
      contacted: z.boolean(),
    }),
  ),
  error: str.optional(),
});

export type OpcUaDevice = z.infer<typeof opcuaDeviceSchema>;
export type MdnsSection = z.infer<typeof mdnsSchema>;
