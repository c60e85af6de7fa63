import { warn, type IO } from '../core/io.js';
import type { CaptureIssue } from '../capture/types.js';

/**
 * Bad lines reported while a command reads a capture: the first few as warnings on stderr, then
 * a count, so a damaged file does not flood the terminal.
 */
export function issueLogger(io: IO, limit = 10): { onIssue: (issue: CaptureIssue) => void; finish: () => void } {
  let count = 0;
  return {
    onIssue: (i) => {
      count++;
      if (count <= limit)
        warn(io, `${i.file}:${i.line}: ${i.message}${/cannot be read|what came before/.test(i.message) ? '' : '; skipped'}`);
    },
    finish: () => {
      if (count > limit) warn(io, `${count - limit} more bad lines skipped (iiot capture validate lists them all)`);
    },
  };
}
