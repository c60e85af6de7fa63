/**
 * The capture's own time zone: `metadata.timezone` in its header (an IANA name; written by
 * `iiot capture import --tz` and `iiot sim --generate`, docs/capture-format.md). Analyses report
 * days, hours and times in it unless --tz says otherwise.
 */

import { openCapture } from './reader.js';

/** What the first file's header says: a valid zone, an invalid name, or nothing (also when the file cannot be read: the analysis reports that). */
export async function readCaptureTimeZone(files: readonly string[]): Promise<{ tz?: string; invalid?: string }> {
  const first = files[0];
  if (first === undefined) return {};
  let tz: unknown;
  try {
    const cap = await openCapture(first);
    tz = cap.header.metadata?.timezone;
    await cap.close();
  } catch {
    return {};
  }
  if (typeof tz !== 'string' || tz === '') return {};
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
  } catch {
    return { invalid: tz };
  }
  return { tz };
}
