/**
 * Between the sources and the capture writer: counts what passes (for the live view and the
 * summary), enforces --count exactly, and turns a writer failure (disk full) into one fatal error
 * for the recorder instead of an exception in some protocol callback.
 */
import type { CaptureWriter } from '../capture/writer.js';
import type { CaptureRecord, EventKind, SampleValue, TagInfo } from '../capture/types.js';
import type { SampleSink } from '../protocols/types.js';
import type { RecordStats } from './stats.js';

function ms(t: Date | number | string): number {
  return typeof t === 'number' ? t : t instanceof Date ? t.getTime() : Date.parse(t);
}

export class RecordingSink implements SampleSink {
  private closed = false;
  private samples = 0;

  constructor(
    private readonly writer: CaptureWriter,
    private readonly stats: RecordStats,
    private readonly opts: { count?: number | undefined; onLimit: () => void; onFatal: (err: unknown) => void },
  ) {}

  private guard(fn: () => void): void {
    if (this.closed) return;
    try {
      fn();
    } catch (err) {
      this.closed = true;
      this.opts.onFatal(err);
    }
  }

  sample(tag: string, t: Date | number | string, v: SampleValue, extra?: { q?: string; st?: string; svt?: string }): void {
    if (this.closed) return;
    const limit = this.opts.count;
    if (limit !== undefined && this.samples >= limit) return;
    this.guard(() => this.writer.sample(tag, t, v, extra));
    if (this.closed) return;
    this.samples++;
    this.stats.sample(tag, ms(t), v, extra?.q);
    if (limit !== undefined && this.samples === limit) this.opts.onLimit();
  }

  event(kind: EventKind, t: Date | number | string, fields?: Record<string, unknown>): void {
    this.guard(() => this.writer.event(kind, t, fields));
    this.stats.event(kind);
  }

  addTags(tags: TagInfo[], t?: Date | number | string): void {
    this.guard(() => this.writer.addTags(tags, t));
    for (const tag of tags) this.stats.tag(tag.name, tag.source);
  }

  write(record: CaptureRecord): void {
    this.guard(() => this.writer.write(record));
    if ('raw' in record) this.stats.raw++;
  }

  /** nothing reaches the writer after this */
  close(): void {
    this.closed = true;
  }
}
