console.log("start");
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { journaldUp, startWriter } from './support/agent-load-logs.js';
async function main(){
const dir = mkdtempSync('/tmp/cap/run-');
let saved = 0;
const rx = createServer((req, res) => { const p: Buffer[] = []; req.on('data', (b) => p.push(b)); req.on('end', () => { const body = Buffer.concat(p);
  if (!req.url!.startsWith('/api/v1/write')) { const t = req.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body; if (saved < 3 && t.length > 10000) { writeFileSync(`/tmp/cap/body${saved++}.txt`, t); console.log('saved', req.url, req.headers['content-type'], t.length, body.length); } res.writeHead(200).end('{"accepted":1}'); } else res.writeHead(204).end(); }); });
await new Promise<void>((r) => rx.listen(0, '127.0.0.1', () => r()));
const url = `http://127.0.0.1:${(rx.address() as any).port}`;
console.log("listening", url);
const jd = journaldUp(dir, 'capns');
console.log("jd up");
const file = join(dir, 'app.log'); writeFileSync(file, '');
const w = await startWriter({ file, journald: jd, rate: 5000, fileShare: 0.5 });
const a = spawn(process.execPath, ['/work/main/bin/vigil.js', 'agent', '--server', url, '--web.listen-address', '127.0.0.1:19777', '--data.dir', join(dir, 'data'), '--no-collector.docker', '--no-logs.docker', '--logs.file', file, '--logs.journald.directory', jd.directory, '--log.level', 'info', ...(process.env.XARGS ?? '').split(' ').filter(Boolean)], { stdio: 'inherit' });
a.on('exit',(c)=>console.log('agent exit',c));
await new Promise((r) => setTimeout(r, 8000));console.log('done');
w.stop(); a.kill(); jd.down(); rx.close(); process.exit(0);

}
main().catch(e=>{console.error(e);process.exit(1)});
