// Test helper for exposition parsers: runs a parser to the end and describes every entry as one line of text.
import { formatFloatG } from '../../src/model/index.js';
import { EntryKind, type Parser } from '../../src/textparse/index.js';

/** dump returns one string per entry. */
export function dump(p: Parser): string[] {
  const out: string[] = [];
  for (let k = p.next(); k !== EntryKind.EOF; k = p.next()) {
    switch (k) {
      case EntryKind.Series: {
        let s = `${p.labels().toString()} ${formatFloatG(p.value())}`;
        if (p.hasTimestamp()) s += ` @${p.timestamp()}`;
        const e = p.exemplar();
        if (e !== undefined) s += ` # ${e.labels.toString()} ${formatFloatG(e.value)}${e.hasTimestamp ? ` @${e.t}` : ''}`;
        out.push(s);
        break;
      }
      case EntryKind.Help:
        out.push(`HELP ${p.family()} ${JSON.stringify(p.help())}`);
        break;
      case EntryKind.Type:
        out.push(`TYPE ${p.family()} ${p.type()}`);
        break;
      case EntryKind.Unit:
        out.push(`UNIT ${p.family()} ${JSON.stringify(p.unit())}`);
        break;
      case EntryKind.Comment:
        out.push(`COMMENT ${JSON.stringify(p.comment())}`);
        break;
    }
  }
  return out;
}
