/**
 * The one place node-opcua-client is loaded: lazily (it costs ~0.5 s), and with its log lines
 * taken off stdout. node-opcua prints warnings and certificate dumps with console.log; iiot's
 * stdout carries results only, so they go to the --debug sink (stderr) or nowhere.
 */
import { format } from 'node:util';

export type ClientModule = typeof import('node-opcua-client');

let loaded: Promise<ClientModule> | undefined;
let sink: ((line: string) => void) | undefined;

/** Where node-opcua's warnings and errors go from now on (undefined: dropped). */
export function setOpcUaLogSink(fn: ((line: string) => void) | undefined): void {
  sink = fn;
}

export function loadClient(debugSink?: (line: string) => void): Promise<ClientModule> {
  if (debugSink !== undefined) sink = debugSink;
  loaded ??= (async () => {
    const m = await import('node-opcua-client');
    const route =
      (level: string) =>
      (_context: unknown, ...args: unknown[]) => {
        if (sink) sink(`node-opcua ${level}: ${format(...args)}`);
      };
    m.setWarningLogger(route('warning'));
    m.setErrorLogger(route('error'));
    m.setDebugLogger(route('debug'));
    return m;
  })();
  return loaded;
}

/**
 * Everything an OPC UA session loads, loaded now. A workflow with sources of several protocols
 * calls this before connecting any of them: the import blocks the event loop for 0.5 s on a quiet
 * machine and several seconds on a cold or busy one, and no device should be waiting on iiot
 * meanwhile (src/core/deadline.ts does not charge devices for it either; this keeps the wait short).
 */
export async function preloadOpcUa(debugSink?: (line: string) => void): Promise<void> {
  await loadClient(debugSink);
  await import('node-opcua-certificate-manager');
}
