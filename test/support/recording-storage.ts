// Test helper: an Appendable over MemoryStorage that records what each committed batch held,
// so scrape tests can assert samples, staleness markers and commit counts.
import { type Labels, isStaleNaN } from '../../src/model/index.js';
import { type Appendable, type Appender, MemoryStorage, type SeriesRef } from '../../src/storage/index.js';

/** RecordedSample is one committed sample; `v` is 'stale' for a staleness marker. */
export interface RecordedSample {
  readonly series: string;
  readonly t: number;
  readonly v: number | 'stale';
}

/** RecordingStorage records every committed sample and counts commits and rollbacks. */
export class RecordingStorage implements Appendable {
  readonly db = new MemoryStorage();
  readonly samples: RecordedSample[] = [];
  commits = 0;
  rollbacks = 0;

  appender(): Appender {
    const inner = this.db.appender();
    const pending: RecordedSample[] = [];
    return {
      append: (ref: SeriesRef | 0, labels: Labels, t: number, v: number): SeriesRef => {
        const r = inner.append(ref, labels, t, v);
        pending.push({ series: labels.toString(), t, v: isStaleNaN(v) ? 'stale' : v });
        return r;
      },
      commit: async () => {
        await inner.commit();
        this.commits++;
        this.samples.push(...pending);
      },
      rollback: async () => {
        await inner.rollback();
        this.rollbacks++;
      },
    };
  }

  /** valuesOf returns the committed samples of one metric name. */
  valuesOf(name: string): RecordedSample[] {
    return this.samples.filter((s) => s.series.startsWith(`{__name__="${name}"`));
  }

  /** take returns and forgets what was recorded. */
  take(): RecordedSample[] {
    return this.samples.splice(0);
  }
}
