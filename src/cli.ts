import type { Command } from 'commander';
import { register as registerAnalyze } from '../commands/analyze.js';
import { register as registerBrowse } from '../commands/browse.js';
import { register as registerCapture } from '../commands/capture.js';
import { register as registerCheck } from '../commands/check.js';
import { register as registerCommission } from '../commands/commission.js';
import { register as registerDemo } from '../commands/demo.js';
import { register as registerDiscover } from '../commands/discover.js';
import { register as registerPki } from '../commands/pki.js';
import { register as registerRead } from '../commands/read.js';
import { register as registerRecord } from '../commands/record.js';
import { register as registerReplay } from '../commands/replay.js';
import { register as registerSim } from '../commands/sim.js';
import { createProgram, runProgram } from './program.js';

export { HELP_WIDTH, reportError } from './program.js';

/**
 * The whole command table: --help lists it, and an argument that names no command is reported
 * against it (with a suggestion). Commands register their options and help; their work is
 * imported lazily. src/entry.ts registers only the command a user named (test/entry.test.ts
 * proves that it parses alike).
 */
export function buildProgram(): Command {
  return createProgram([
    registerDiscover,
    registerBrowse,
    registerRead,
    registerRecord,
    registerReplay,
    registerCapture,
    registerAnalyze,
    registerCheck,
    registerCommission,
    registerPki,
    registerSim,
    registerDemo,
  ]);
}

/** Runs the program with the given argv; sets process.exitCode, never throws. */
export async function main(argv: string[]): Promise<void> {
  await runProgram(buildProgram(), argv);
}
