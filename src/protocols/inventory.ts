/**
 * The parts of an inventory device (docs/inventory.md, `iiot.discover/1`) every protocol shares:
 * the fields each device has, a host and port, a certificate, a serial line's settings, and the
 * entries of what did not answer. Each protocol's device schema is in its folder
 * (<name>/inventory.ts); src/discovery/inventory.ts puts them together. zod schemas are the one
 * definition of the shape; the types are inferred from them.
 */
import { z } from 'zod';

export const str = z.string();
export const int = z.number().int();

export const certificate = z.object({
  subject: str,
  commonName: str,
  issuer: str,
  selfSigned: z.boolean(),
  notBefore: str,
  notAfter: str,
  sha256: str,
  sha1: str.optional(),
  applicationUri: str.optional(),
  keyType: str.optional(),
  signatureAlgorithm: str.optional(),
  dnsNames: z.array(str).optional(),
  ipAddresses: z.array(str).optional(),
  expired: z.boolean().optional(),
  daysLeft: z.number().optional(),
});

export const serialSetting = z.object({
  baud: int,
  parity: z.enum(['none', 'even', 'odd', 'mark', 'space']),
  dataBits: z.union([z.literal(7), z.literal(8)]),
  stopBits: z.union([z.literal(1), z.literal(2)]),
});

/** Fields of every device. */
export const deviceFields = {
  /** canonical device URL (src/core/targets.ts) */
  url: str,
  /** one line for people: "iiot simulated plant (127.0.0.2)", "Eastron SDM630 v1.0", "MQTT 3.1.1 broker, anonymous" */
  name: str,
  /** how it was found: a port of a scanned address, a URL named on the command line, an LDS registration, mDNS */
  via: z.enum(['scan', 'url', 'lds', 'mdns', 'serial']),
  /** round trip of the first protocol answer, ms */
  responseMs: z.number().optional(),
  /** things a person should know ("answered Hello with BadTcpEndpointUrlInvalid", "births not seen: use --rebirth") */
  notes: z.array(str).optional(),
};

/** Where a device on the network is. */
export const networkFields = { host: str, port: int.min(1).max(65535) };

export const NO_ANSWER_RESULTS = [
  'closed',
  'timeout',
  'unreachable',
  'reset',
  'garbage',
  'silent',
  'no-device',
  'not-probed',
  'error',
] as const;

export const noAnswerSchema = z.object({
  /** what was tried: "127.0.0.3", "127.0.0.2:1502", "modbus://127.0.0.2:502 units 4-247", "/dev/ttyUSB0 9600 8N1 units 1-247" */
  target: str,
  host: str.optional(),
  ports: z.array(int).optional(),
  port: int.optional(),
  path: str.optional(),
  protocol: str.optional(),
  units: str.optional(),
  setting: serialSetting.optional(),
  result: z.enum(NO_ANSWER_RESULTS),
  detail: str.optional(),
});

export type NoAnswer = z.infer<typeof noAnswerSchema>;
export type SerialSetting = z.infer<typeof serialSetting>;
