import { assetSignals, plantSignals } from './signals.js';
import { checkOutputTarget, refuseToReplace } from '../core/output-file.js';
import { readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { usageError } from '../core/errors.js';
import { emitJson, info, out, warn, type IO } from '../core/io.js';
import { formatDuration } from '../core/units.js';
import type { OpcUaLimits } from '../protocols/opcua/plant-server.js';
import type { SecurityProfileName } from '../protocols/opcua/server-security.js';
import { defaultPlantPath, loadPlantFile } from './plant-file.js';
import { startPlant, type PlantOptions, type RunningPlant } from './plant.js';
import { describe, renderGenerated, renderPlant, tryLines } from './render.js';

/**
 * `iiot sim`: start the plant, print its endpoints (a table, or one JSON document), write the
 * ready file, and serve until Ctrl-C, SIGTERM or --duration; then stop every server cleanly.
 * `iiot sim --generate` writes a capture instead (generate.ts).
 */

export const PASSWORD_ENV = 'IIOT_SIM_PASSWORD';

export interface SimRunOptions {
  plantFile?: string;
  seed?: number;
  /** model time at start, ms; default now (live) or the plant file's start (--generate) */
  start?: number;
  /** live runs: how long the plant has been running already (the model's epoch is start − age) */
  ageMs?: number;
  timeScale: number;
  host: string;
  opcua:
    | false
    | {
        port: number;
        profile: SecurityProfileName;
        pkiDir?: string;
        acceptAnyClientCert: boolean;
        trustLocalClient: boolean;
        limits: OpcUaLimits;
        extraNodes?: number;
        nodeset?: string;
      };
  modbus: false | { port: number; unknownUnit: 'gateway-exception' | 'ignore' };
  mqtt: false | { port: number; auth: boolean; json: boolean; sparkplug: boolean; brokerUrl?: string; nagle?: boolean };
  rtu?: { path: string; baudRate: number; parity: 'none' | 'even' | 'odd'; unitId: number; dataBits: 7 | 8; stopBits: 1 | 2 };
  /** identity for OPC UA username tokens and MQTT; the password only from the environment or a file */
  user: string;
  passwordFile?: string;
  updateIntervalMs: number;
  /** signal ids served stuck at their value at start */
  frozen?: string[];
  readyFile?: string;
  durationMs?: number;
  generate?: { durationMs: number; intervalMs: number; output: string; tags: string[]; force?: boolean };
  /** stops a live run (tests run the command in-process) */
  signal?: AbortSignal;
}

export async function runSim(io: IO, opts: SimRunOptions): Promise<number> {
  const plantFile = opts.plantFile ?? defaultPlantPath();
  const config = loadPlantFile(plantFile);
  if (opts.generate) return generate(io, opts, plantFile, config);
  if (opts.frozen?.length) {
    const ids = [...plantSignals(config), ...config.assets.flatMap(assetSignals)].map((s) => s.id);
    const unknown = opts.frozen.filter((id) => !ids.includes(id));
    if (unknown.length)
      throw usageError(
        `--freeze ${unknown.join(',')}: no such signal in ${plantFile}`,
        `signal ids are <asset>.<signal>, for example ${ids.slice(8, 12).join(', ')}`,
      );
  }

  const password = readPassword(opts, io);
  const users = password === undefined ? [] : [{ username: opts.user, password }];
  if (opts.opcua && opts.opcua.profile === 'hardened' && password === undefined) {
    throw usageError(
      `--profile hardened offers no anonymous access and needs a user, but ${PASSWORD_ENV} is not set`,
      `export ${PASSWORD_ENV}=... (or --password-file FILE); the user name is --user (default operator)`,
    );
  }
  if (opts.mqtt && opts.mqtt.auth && password === undefined) {
    throw usageError(
      `--mqtt-auth needs a password, but ${PASSWORD_ENV} is not set`,
      `export ${PASSWORD_ENV}=... (or --password-file FILE)`,
    );
  }
  if (opts.opcua && opts.opcua.acceptAnyClientCert) {
    warn(io, 'the OPC UA server accepts any client certificate (--accept-any-client-cert): for tests and demos only');
  }

  const plantOptions: PlantOptions = {
    plant: config,
    host: opts.host,
    timeScale: opts.timeScale,
    updateIntervalMs: opts.updateIntervalMs,
    ...(opts.frozen?.length ? { frozen: opts.frozen } : {}),
    ...(opts.seed === undefined ? {} : { seed: opts.seed }),
    ...(opts.start === undefined ? {} : { start: opts.start }),
    ...(opts.ageMs === undefined ? {} : { age: opts.ageMs }),
    opcua: opts.opcua && {
      port: opts.opcua.port,
      profile: opts.opcua.profile,
      users,
      autoAcceptClientCertificates: opts.opcua.acceptAnyClientCert,
      limits: opts.opcua.limits,
      ...(opts.opcua.pkiDir === undefined ? {} : { pkiDir: opts.opcua.pkiDir }),
      ...(opts.opcua.extraNodes === undefined ? {} : { extraNodes: opts.opcua.extraNodes }),
      ...(opts.opcua.nodeset === undefined ? {} : { nodeset: opts.opcua.nodeset }),
    },
    modbus: opts.modbus && { port: opts.modbus.port, unknownUnit: opts.modbus.unknownUnit },
    mqtt: opts.mqtt && {
      port: opts.mqtt.port,
      json: opts.mqtt.json,
      ...(opts.mqtt.nagle ? { nagle: true } : {}),
      sparkplug: opts.mqtt.sparkplug,
      ...(opts.mqtt.brokerUrl === undefined ? {} : { brokerUrl: opts.mqtt.brokerUrl }),
      // --mqtt-auth: the embedded broker requires the user, or the publishers log on to --mqtt-broker with it
      ...(opts.mqtt.auth && password !== undefined
        ? opts.mqtt.brokerUrl === undefined
          ? { auth: { username: opts.user, password } }
          : { brokerAuth: { username: opts.user, password } }
        : {}),
    },
    ...(opts.rtu ? { rtu: opts.rtu } : {}),
    ...(io.debug ? { log: (line: string) => io.stderr.write(`${line}\n`) } : {}),
  };

  info(io, `iiot sim: starting ${config.name} on ${opts.host}...`);
  // Listen for Ctrl-C and SIGTERM before anything starts: a stop asked for during start-up (a CI
  // job cancelled early) must still close every port.
  const stop = listenForStop(opts);
  let plant: RunningPlant;
  try {
    plant = await startPlant(plantOptions);
  } catch (err) {
    stop.dispose();
    throw err;
  }
  const body = describe(plant, plantFile, password !== undefined ? opts.user : undefined);
  try {
    if (plant.opcua && opts.opcua && opts.opcua.trustLocalClient && !opts.opcua.acceptAnyClientCert) {
      const { trustLocalClient } = await import('./local-client-trust.js');
      const file = await trustLocalClient(plant.opcua.pkiDir, io.env);
      info(
        io,
        `the OPC UA server trusts this machine's iiot client certificate (${file}); other clients: put theirs in ${plant.opcua.pkiDir}/trusted/certs (--no-trust-local-client turns this off)`,
      );
    }
    if (io.json) emitJson(io, 'iiot.sim/1', body);
    else out(io, renderPlant(plant, io.style));
    if (opts.readyFile) writeReadyFile(opts.readyFile, body);
    if (!io.json) info(io, tryLines(plant));
    info(
      io,
      `ready in ${formatDuration(plant.startupMs.total)}; ${opts.durationMs === undefined ? 'Ctrl-C to stop' : `stopping after ${formatDuration(opts.durationMs)}`}`,
    );
    const reason = await stop.wait(opts.durationMs);
    info(io, `iiot sim: ${reason}, stopping...`);
  } finally {
    stop.dispose();
    await plant.stop();
    if (opts.readyFile) rmSync(opts.readyFile, { force: true });
  }
  info(io, 'iiot sim: stopped');
  return 0;
}

/**
 * Catches SIGINT, SIGTERM and the abort signal from the moment it is called; `wait` resolves with
 * the reason once one of them (or the end of the duration, counted from the call to wait) comes.
 */
function listenForStop(opts: SimRunOptions): { wait(durationMs: number | undefined): Promise<string>; dispose(): void } {
  let reason: string | undefined;
  let wake: ((r: string) => void) | undefined;
  let timer: NodeJS.Timeout | undefined;
  const stopWith = (r: string) => {
    reason ??= r;
    wake?.(reason);
  };
  const onInt = () => stopWith('interrupted');
  const onTerm = () => stopWith('terminated');
  const onAbort = () => stopWith('asked to stop');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  if (opts.signal?.aborted) stopWith('asked to stop');
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  return {
    wait(durationMs) {
      if (reason !== undefined) return Promise.resolve(reason);
      return new Promise((resolve) => {
        wake = resolve;
        if (durationMs !== undefined) timer = setTimeout(() => stopWith(`${formatDuration(durationMs)} elapsed`), durationMs);
      });
    },
    dispose() {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      opts.signal?.removeEventListener('abort', onAbort);
      if (timer) clearTimeout(timer);
    },
  };
}

/** The password for OPC UA and MQTT users: --password-file, else $IIOT_SIM_PASSWORD. Never argv. */
function readPassword(opts: SimRunOptions, io: IO): string | undefined {
  if (opts.passwordFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(opts.passwordFile, 'utf8');
      if ((statSync(opts.passwordFile).mode & 0o077) !== 0) warn(io, `${opts.passwordFile} can be read by other users; chmod 600 it`);
    } catch (err) {
      throw usageError(
        `--password-file ${opts.passwordFile}: cannot read it (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
        'give the path of a file holding the password on its first line',
      );
    }
    const pw = text.split(/\r?\n/)[0] ?? '';
    if (pw === '')
      throw usageError(`--password-file ${opts.passwordFile}: the first line is empty`, 'write the password on the first line');
    return pw;
  }
  const env = io.env[PASSWORD_ENV];
  return env === undefined || env === '' ? undefined : env;
}

function writeReadyFile(path: string, body: object): void {
  // Written whole and renamed, so a CI script polling for it never reads half a file.
  checkOutputTarget(path, '--ready-file');
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, `${JSON.stringify({ schema: 'iiot.sim/1', ...body }, null, 2)}\n`);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw usageError(
      `--ready-file ${path}: cannot write it (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
      'give a path in a writable directory',
    );
  }
}

async function generate(io: IO, opts: SimRunOptions, plantFile: string, config: ReturnType<typeof loadPlantFile>): Promise<number> {
  const g = opts.generate!;
  const { generateCapture } = await import('./generate.js');
  refuseToReplace(g.output, { force: g.force });
  const t0 = performance.now();
  info(
    io,
    `iiot sim: generating ${formatDuration(g.durationMs)} of ${config.name} every ${formatDuration(g.intervalMs)} into ${g.output}...`,
  );
  const result = await generateCapture({
    plant: config,
    plantFile,
    durationMs: g.durationMs,
    intervalMs: g.intervalMs,
    output: g.output,
    tags: g.tags,
    force: Boolean(g.force),
    ...(opts.seed === undefined ? {} : { seed: opts.seed }),
    ...(opts.start === undefined ? {} : { start: opts.start }),
  });
  const seconds = (performance.now() - t0) / 1000;
  if (io.json) {
    emitJson(io, 'iiot.sim.generate/1', { ...result, seconds: Math.round(seconds * 100) / 100 });
  } else {
    out(io, renderGenerated(result, seconds));
  }
  return 0;
}
