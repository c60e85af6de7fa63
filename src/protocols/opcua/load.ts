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
    const route = (level: string) => (_context: unknown, ...args: unknown[]) => {
      if (sink) sink(`node-opcua ${level}: ${format(...args)}`);
    };
    m.setWarningLogger(route('warning'));
    m.setErrorLogger(route('error'));
    m.setDebugLogger(route('debug'));
    return m;
  })();
  return loaded;
}
