// Copies non-TypeScript runtime assets (protobuf definitions) from src/ into dist/ after tsc.
import { cpSync, readdirSync, statSync, mkdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const src = join(root, 'src');
const dist = join(root, 'dist');
const walk = (d) => readdirSync(d).flatMap((e) => (statSync(join(d, e)).isDirectory() ? walk(join(d, e)) : [join(d, e)]));
for (const f of walk(src)) {
  if (!f.endsWith('.proto') || f.includes('/testdata/')) continue;
  const to = join(dist, relative(src, f));
  mkdirSync(dirname(to), { recursive: true });
  cpSync(f, to);
}
