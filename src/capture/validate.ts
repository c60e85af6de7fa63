import { isIiotError } from '../core/errors.js';
import { openCaptureSet } from './capture-set.js';
import type { CaptureIssue } from './types.js';

/**
 * `iiot capture validate`: every problem of a capture, with file:line. Errors are damage: lines
 * the reader would skip, a torn last line or a cut gzip stream (a crash), and a header it refuses;
 * warnings are samples of tags no header or config event declares. `strict` counts warnings as
 * errors; `lenient` accepts damage knowingly (listed as warnings), as `capture info --lenient` does.
 */

export interface ValidationIssue extends CaptureIssue {
  severity: 'error' | 'warning';
}

export interface ValidationResult {
  files: string[];
  valid: boolean;
  lines: number;
  records: number;
  errors: number;
  warnings: number;
  /** the first maxIssues issues, in file order */
  issues: ValidationIssue[];
}

export interface ValidateOptions {
  strict?: boolean;
  lenient?: boolean;
  maxIssues?: number;
}

export async function validateCapture(paths: readonly string[], opts: ValidateOptions = {}): Promise<ValidationResult> {
  const maxIssues = opts.maxIssues ?? 100;
  const result: ValidationResult = { files: [...paths], valid: true, lines: 0, records: 0, errors: 0, warnings: 0, issues: [] };
  const add = (issue: CaptureIssue, severity: 'error' | 'warning') => {
    const sev = opts.strict ? 'error' : severity;
    if (sev === 'error') result.errors++;
    else result.warnings++;
    if (result.issues.length < maxIssues) result.issues.push({ ...issue, severity: sev });
  };
  let set;
  try {
    set = await openCaptureSet(paths, { trackLines: true, onIssue: (i) => add(i, opts.lenient ? 'warning' : 'error') });
  } catch (err) {
    if (!isIiotError(err)) throw err;
    // the header is refused: report it like any other line, so --json consumers see one shape
    const file = paths[0]!;
    const m = /^(.*):(\d+): (.*)$/s.exec(err.message);
    add({ file: m?.[1] ?? file, line: Number(m?.[2] ?? 1), message: m?.[3] ?? err.message }, 'error');
    result.valid = false;
    return result;
  }
  const warned = new Set<string>();
  let declared = new Set(set.tags().map((t) => t.name));
  let knownHeaders = set.headers.length;
  for await (const batch of set.batches()) {
    if (set.headers.length !== knownHeaders) {
      knownHeaders = set.headers.length;
      declared = new Set(set.tags().map((t) => t.name));
    }
    const lines = set.batchLines;
    for (let i = 0; i < batch.length; i++) {
      const r = batch[i]!;
      result.records++;
      if (r.event === 'config') declared = new Set(set.tags().map((t) => t.name));
      else if (typeof r.tag === 'string' && !declared.has(r.tag) && !warned.has(r.tag)) {
        warned.add(r.tag);
        add(
          {
            file: set.currentPath,
            line: lines[i] ?? 0,
            message: `tag ${JSON.stringify(r.tag)} is not declared in the header or a config event (first sample of it; later ones not listed)`,
          },
          'warning',
        );
      }
    }
  }
  result.lines = set.linesRead;
  result.valid = result.errors === 0;
  return result;
}
