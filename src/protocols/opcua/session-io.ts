/**
 * The bridge between a command's IO (src/core/io.ts) and what the OPC UA modules want: status
 * lines, warnings, debug lines, node-opcua's own log routed to --debug, and the PKI folder.
 */
import { debug, info, warn, type IO } from '../../core/io.js';
import { setOpcUaLogSink } from './load.js';
import { defaultPkiDir, Pki } from './pki.js';
import type { SessionIO } from './session.js';

export function sessionIO(io: IO): SessionIO {
  const debugSink = io.debug ? (text: string) => debug(io, text) : undefined;
  setOpcUaLogSink(debugSink);
  return {
    env: io.env,
    stdin: io.stdin as SessionIO['stdin'],
    stderr: io.stderr,
    info: (text) => info(io, text),
    warn: (text) => warn(io, text),
    debug: debugSink,
  };
}

export function pkiFor(io: IO): Pki {
  return new Pki(defaultPkiDir(io.env));
}

/** Aborts on Ctrl-C (and SIGTERM) while `work` runs; tells whether it was interrupted. */
export async function interruptible<T>(work: (signal: AbortSignal) => Promise<T>): Promise<{ value: T; interrupted: boolean }> {
  const ac = new AbortController();
  const onSignal = () => ac.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const value = await work(ac.signal);
    return { value, interrupted: ac.signal.aborted };
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}
