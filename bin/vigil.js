#!/usr/bin/env node
// Entry point for the `vigil` command: runs the compiled CLI from dist/.
import { main } from '../dist/cli/main.js';

main(process.argv.slice(2)).then(
  (code) => { if (typeof code === 'number') process.exitCode = code; },
  (err) => { process.stderr.write(`vigil: ${err instanceof Error ? err.message : String(err)}\n`); process.exitCode = 1; },
);
