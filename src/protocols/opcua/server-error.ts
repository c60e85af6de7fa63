/**
 * The ERR message a server sends right before it closes the connection (OPC 10000-6 §7.1.2.5:
 * MessageType "ERR", an Error StatusCode and a Reason), kept per client so the failure can be
 * explained by its status. node-opcua decodes such a message, but when it answers an
 * OpenSecureChannel request it drops the status together with the request it cannot match and
 * reports only "socket has been disconnected by third party". open62541 refuses a client
 * certificate it does not trust exactly that way: BadSecurityChecksFailed, an empty reason.
 *
 * The chunks are read through a transport factory wrapped around node-opcua's own
 * (`transportFactory`, its documented seam for a tracing wrapper): nothing about the connection
 * changes, the ERR is only looked at.
 */
import type { IClientTransportFactory } from 'node-opcua-transport';
import { loadClient } from './load.js';

export interface ServerError {
  /** the StatusCode as sent */
  code: number;
  /** its name ("BadSecurityChecksFailed"), or the code in hex when unknown */
  status: string;
  /** the Reason; "" when the server gave none (a null String too) */
  reason: string;
}

/** Error and Reason of a final ERR chunk, or undefined for any other chunk. */
export function parseErrChunk(chunk: Buffer): { code: number; reason: string } | undefined {
  // "ERRF", compared byte by byte: this runs on every chunk of the connection
  if (chunk.length < 12 || chunk[0] !== 0x45 || chunk[1] !== 0x52 || chunk[2] !== 0x52 || chunk[3] !== 0x46) return undefined;
  const code = chunk.readUInt32LE(8);
  if (chunk.length < 16) return { code, reason: '' };
  const n = chunk.readInt32LE(12);
  const reason = n > 0 ? chunk.toString('utf8', 16, Math.min(chunk.length, 16 + n)) : '';
  return { code, reason };
}

export interface ServerErrorWatch {
  transportFactory: IClientTransportFactory;
  /** the last ERR this client received, if any */
  last(): ServerError | undefined;
}

/** A transport factory for one OPCUAClient that remembers the last ERR it received. */
export async function watchServerErrors(): Promise<ServerErrorWatch> {
  const [{ defaultClientTransportFactory }, m] = await Promise.all([import('node-opcua-transport'), loadClient()]);
  let last: ServerError | undefined;
  const transportFactory: IClientTransportFactory = {
    create(settings) {
      const transport = defaultClientTransportFactory.create(settings);
      transport.on('chunk', (chunk: Buffer) => {
        const e = parseErrChunk(chunk);
        if (e) last = { ...e, status: statusName(m.StatusCodes as unknown as Record<string, { value: number }>, e.code) };
      });
      return transport;
    },
  };
  return { transportFactory, last: () => last };
}

/** The name of a StatusCode (its info bits, the low 16, ignored). */
export function statusName(codes: Record<string, { value: number }>, code: number): string {
  const value = (code & 0xffff0000) >>> 0;
  for (const [name, s] of Object.entries(codes)) if (s.value === value) return name;
  return `0x${(code >>> 0).toString(16).toUpperCase().padStart(8, '0')}`;
}
