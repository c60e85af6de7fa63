/**
 * The capture's own time zone: `metadata.timezone` in its header (an IANA name; written by
 * `iiot capture import --tz` and `iiot sim --generate`, docs/capture-format.md). Analyses report
 * days, hours and times in it unless --tz says otherwise.
 */

import { openCapture } from '../capture/reader.js';
import { warn, type IO } from '../core/io.js';

/** The zone a capture's header names, or undefined (no header field, an unreadable file: the analysis reports that later). */
export async function captureTimeZone(io: IO, files: readonly string[]): Promise<string | undefined> {
  const first = files[0];
  if (first === undefined) return undefined;
  let tz: unknown;
  try {
    const cap = await openCapture(first);
    tz = cap.header.metadata?.timezone;
    await cap.close();
  } catch {
    return undefined;
  }
  if (typeof tz !== 'string' || tz === '') return undefined;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
  } catch {
    warn(io, `${first}: metadata.timezone "${tz}" is not an IANA time zone; times are in UTC (give --tz)`);
    return undefined;
  }
  return tz;
}
