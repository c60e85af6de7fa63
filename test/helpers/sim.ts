import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, ROOT } from './cli.js';
import { tempDir } from './temp.js';
import { waitFor } from './wait.js';

export interface RunningSim {
  /** the ready file's document (docs/sim.md) */
  ready: { endpoints: RunningSim['endpoints']; opcua?: { certificate?: string; pkiDir?: string } };
  endpoints: { opcua?: string; modbus?: string; mqtt?: string };
  /** the ports of the endpoints (undefined for a protocol switched off) */
  ports: { opcua: number | undefined; modbus: number | undefined; mqtt: number | undefined };
  process: ChildProcess;
  /** what it wrote to stdout and stderr */
  log(): string;
  /** SIGTERM, then waits for it to end; resolves to its exit code */
  stop(): Promise<number | null>;
}

/**
 * `iiot sim` as a separate process (the built CLI), every server on a free port, ready once its
 * --ready-file appears. `extra` adds flags (--no-opcua...); `wrap` runs it under another program
 * (['taskset', '-c', '1']).
 */
export async function startSim(extra: string[] = [], wrap: string[] = []): Promise<RunningSim> {
  const ready = join(tempDir('sim'), 'ready.json');
  const args = [BIN, 'sim', '--opcua-port', '0', '--modbus-port', '0', '--mqtt-port', '0', '--ready-file', ready, ...extra];
  const [cmd, ...rest] = wrap.length ? [...wrap, process.execPath, ...args] : [process.execPath, ...args];
  const child = spawn(cmd!, rest, { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (log += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (log += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let gone = false;
  void exited.then(() => (gone = true));
  await waitFor(() => existsSync(ready) || gone, 50);
  if (gone) throw new Error(`iiot sim ended before it was ready:\n${log}`);
  const doc = JSON.parse(readFileSync(ready, 'utf8')) as RunningSim['ready'];
  const port = (url: string | undefined) => (url === undefined ? undefined : Number(new URL(url.replace(/^opc\.tcp/, 'http')).port));
  return {
    ready: doc,
    endpoints: doc.endpoints,
    ports: { opcua: port(doc.endpoints.opcua), modbus: port(doc.endpoints.modbus), mqtt: port(doc.endpoints.mqtt) },
    process: child,
    log: () => log,
    async stop() {
      if (!gone) child.kill('SIGTERM');
      return exited;
    },
  };
}
