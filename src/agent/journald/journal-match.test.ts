// JournalMatch without journalctl: unit name mangling, globs, alternatives and conjunctions on
// hand-made DATA objects (journal-files-reader.test compares with journalctl on real files).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Data, validName } from './journal-data.js';
import { JournalMatch } from './journal-match.js';

const entry = (...fields: string[]): Data[] =>
  fields.map((f, i) => {
    const p = Buffer.from(f);
    const eq = p.indexOf(61);
    return new Data(8 * (i + 1), p, eq, '', validName(p, eq), false);
  });

describe('JournalMatch', () => {
  it.each([
    { units: ['a'], matches: [], fields: ['_SYSTEMD_UNIT=a.service'], want: true },
    { units: ['a.socket'], matches: [], fields: ['_SYSTEMD_UNIT=a.socket'], want: true },
    { units: ['a'], matches: [], fields: ['_SYSTEMD_UNIT=a'], want: false },
    { units: ['a'], matches: [], fields: ['_PID=1', 'UNIT=a.service'], want: true },
    { units: ['a'], matches: [], fields: ['_PID=2', 'UNIT=a.service'], want: false },
    { units: ['a'], matches: [], fields: ['_UID=0', 'OBJECT_SYSTEMD_UNIT=a.service'], want: true },
    { units: ['a'], matches: [], fields: ['MESSAGE_ID=fc2e22bc6ee647b6b90729ab34a250b1', '_UID=0', 'COREDUMP_UNIT=a.service'], want: true },
    { units: ['user.slice'], matches: [], fields: ['_SYSTEMD_SLICE=user.slice'], want: true },
    { units: ['web-*'], matches: [], fields: ['_SYSTEMD_UNIT=web-1.service'], want: true },
    { units: ['web-?.service'], matches: [], fields: ['_SYSTEMD_UNIT=web-10.service'], want: false },
    { units: ['web-[!0-4].service'], matches: [], fields: ['_SYSTEMD_UNIT=web-7.service'], want: true },
    { units: ['web-[!0-4].service'], matches: [], fields: ['_SYSTEMD_UNIT=web-3.service'], want: false },
    { units: ['web.*'], matches: [], fields: ['_SYSTEMD_UNIT=webXservice'], want: false },
    { units: [], matches: ['A=1', 'A=2'], fields: ['A=2'], want: true },
    { units: [], matches: ['A=1', 'B=2'], fields: ['A=1'], want: false },
    { units: [], matches: ['A=1', 'B=2'], fields: ['B=2', 'A=1'], want: true },
    { units: [], matches: ['A=1', '+', 'B=2'], fields: ['B=2'], want: true },
    { units: ['a'], matches: ['B=2'], fields: ['_SYSTEMD_UNIT=a.service'], want: false },
    { units: ['a'], matches: ['B=2'], fields: ['_SYSTEMD_UNIT=a.service', 'B=2'], want: true },
    { units: [], matches: ['M=é'], fields: ['M=é'], want: true },
  ])('$units $matches on $fields → $want', ({ units, matches, fields, want }) => {
    const m = JournalMatch.compile(units, matches)!;
    const d = entry(...fields);
    expect(m.test(d, d.length)).toBe(want);
  });

  it('matches everything without filters', () => {
    expect(JournalMatch.compile([], [])).toBeUndefined();
  });

  it('compiles any unit pattern or throws an Error (never hangs)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 12 }), (u) => {
        try {
          const m = JournalMatch.compile([u], []);
          const d = entry(`_SYSTEMD_UNIT=${u}`);
          m!.test(d, 1);
        } catch (e) {
          expect(e).toBeInstanceOf(Error);
        }
      }),
    );
  });
});
