/**
 * `iiot capture info|validate|convert|slice|diff|import`: the capture file on its own, offline.
 * Options arrive parsed (options.ts); each subcommand loads only the part of the capture library
 * it uses, and its renderer only when a person reads the result (--json never loads one).
 */
import { ExitCode } from '../core/exit-codes.js';
import { emitJson, out, type IO } from '../core/io.js';
import type {
  ConvertCommandOptions,
  DiffCommandOptions,
  ImportCommandOptions,
  InfoCommandOptions,
  SliceCommandOptions,
  ValidateCommandOptions,
} from './options.js';

async function issueLog(io: IO) {
  const { issueLogger } = await import('./issue-log.js');
  return issueLogger(io);
}

/**
 * A subcommand's result on stdout: with --json the document `schema`, else the text `render`
 * makes. `render` imports its renderer, so --json never loads one.
 */
async function report(io: IO, schema: string, result: object, render: () => Promise<string>): Promise<void> {
  if (io.json) emitJson(io, schema, result);
  else out(io, await render());
}

export async function runInfo(io: IO, o: InfoCommandOptions): Promise<number> {
  const { captureInfo } = await import('../capture/info.js');
  const info = await captureInfo(o.inputs, o.info);
  // Damage first, before the summary: a capture cut by a crash must not pass for a whole one.
  const { damageLines, renderInfo } = await import('./info-render.js');
  const damage = damageLines(info);
  if (damage.length > 0) {
    io.stderr.write(`iiot: ${o.lenient ? io.errStyle.yellow('warning') : 'error'}: ${damage.join('\n')}\n`);
    if (!o.lenient)
      io.stderr.write(
        '  hint: the summary covers what could be read; --lenient accepts a damaged capture (exit 0), iiot capture validate lists every bad line\n',
      );
  }
  await report(io, 'iiot.capture.info/1', info, async () => renderInfo(info, io.style));
  return damage.length > 0 && !o.lenient ? ExitCode.Usage : ExitCode.Ok;
}

export async function runValidate(io: IO, o: ValidateCommandOptions): Promise<number> {
  const { validateCapture } = await import('../capture/validate.js');
  const result = await validateCapture(o.inputs, o.validate);
  await report(io, 'iiot.capture.validate/1', result, async () => (await import('./summary-render.js')).renderValidation(result, io.style));
  return result.valid ? ExitCode.Ok : ExitCode.Usage;
}

export async function runConvert(io: IO, o: ConvertCommandOptions): Promise<number> {
  const { convertCapture } = await import('../capture/convert.js');
  const log = await issueLog(io);
  const result = await convertCapture(o.inputs, { ...o.convert, onIssue: log.onIssue });
  log.finish();
  for (const w of result.import?.warnings ?? []) io.stderr.write(`${io.errStyle.yellow('warning:')} ${w}\n`);
  await report(io, 'iiot.capture.convert/1', result, async () => (await import('./summary-render.js')).renderConvert(result));
  return ExitCode.Ok;
}

export async function runSlice(io: IO, o: SliceCommandOptions): Promise<number> {
  const { sliceCapture } = await import('../capture/slice.js');
  const log = await issueLog(io);
  const result = await sliceCapture(o.inputs, { ...o.slice, onIssue: log.onIssue });
  log.finish();
  await report(io, 'iiot.capture.slice/1', result, async () => (await import('./summary-render.js')).renderSlice(result));
  return ExitCode.Ok;
}

/** Exit 1 when the captures differ: a CI gate. */
export async function runDiff(io: IO, o: DiffCommandOptions): Promise<number> {
  const { diffCaptures } = await import('../capture/diff.js');
  const log = await issueLog(io);
  const result = await diffCaptures([o.a], [o.b], { ...o.diff, onIssue: (_side, i) => log.onIssue(i) });
  log.finish();
  await report(io, 'iiot.capture.diff/1', result, async () => (await import('./diff-render.js')).renderDiff(result, io.style, o.all));
  return result.equal ? ExitCode.Ok : ExitCode.CheckFailed;
}

export async function runImport(io: IO, o: ImportCommandOptions): Promise<number> {
  const { importCsv } = await import('../capture/csv-import.js');
  const result = await importCsv(o.input, o.csv);
  for (const w of result.warnings) io.stderr.write(`${io.errStyle.yellow('warning:')} ${w}\n`);
  await report(io, 'iiot.capture.import/1', result, async () => (await import('./summary-render.js')).renderImport(result));
  return ExitCode.Ok;
}
