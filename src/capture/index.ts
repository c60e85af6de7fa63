/**
 * The capture format's programming surface for the rest of iiot (recorders, replays, the
 * simulator, analyses): write, read, rotated sets, times. The command-line tools (info, validate,
 * convert, slice, diff, import) live in their own modules and are imported by commands/capture.ts.
 */
export * from './types.js';
export { createCaptureWriter, type CaptureWriter, type HeaderInit, type WriterOptions } from './writer.js';
export { openCapture, timeMs, type CaptureReader, type ReadOptions } from './reader.js';
export { openCaptureSet, expandParts, type CaptureSet } from './capture-set.js';
export { listCaptureParts, partPath, firstPartOf } from './parts.js';
export { isoFromMs, toCaptureTime } from './iso-time.js';
