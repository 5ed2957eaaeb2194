// Child process for the network-cut test: vigil's gateway on ADDR:PORT (inside a network
// namespace), rewriting COUNT_FILE with how often each `seq=N` line arrived.
import { renameSync, writeFileSync } from 'node:fs';
import { TestGateway, countSeqs } from './agent-logs-gateway.js';

const [addr, port, countFile] = process.argv.slice(2) as [string, string, string];
const gw = await TestGateway.start({ port: Number(port), host: addr });
const write = async (): Promise<void> => {
  const counts = countSeqs(await gw.lines());
  writeFileSync(countFile + '.tmp', JSON.stringify(Object.fromEntries(counts)));
  renameSync(countFile + '.tmp', countFile);
};
const t = setInterval(() => void write(), 200);
process.on('SIGTERM', () => {
  clearInterval(t);
  void gw.stop().then(() => process.exit(0));
});
process.stdout.write('gateway-ready\n');
