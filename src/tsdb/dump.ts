/**
 * Sample dumps in promtool's format (`promtool tsdb dump`): one line per sample,
 * `{labels} value timestamp`, values printed as Go's %g.
 * @module
 */
import { formatFloatG } from '../model/index.js';
import { ValueType, type SeriesSet } from '../storage/index.js';

/**
 * dumpSeriesSet writes every sample of `ss` through `write` in chunks of about 64 KiB and
 * resolves to the number of samples. Throws the series set's or an iterator's error.
 */
export async function dumpSeriesSet(ss: SeriesSet, write: (text: string) => void | Promise<void>): Promise<number> {
  let buf = '';
  let n = 0;
  while (ss.next()) {
    const s = ss.at();
    const prefix = s.labels.toString() + ' ';
    const it = s.iterator();
    while (it.next() === ValueType.Float) {
      buf += prefix + formatFloatG(it.atF()) + ' ' + it.atT() + '\n';
      n++;
      if (buf.length >= 65536) {
        await write(buf);
        buf = '';
      }
    }
    const e = it.err();
    if (e !== undefined) throw e;
  }
  const e = ss.err();
  if (e !== undefined) throw e;
  if (buf !== '') await write(buf);
  return n;
}
