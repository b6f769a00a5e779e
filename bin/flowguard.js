#!/usr/bin/env node
// Entry point of the installed command: runs the compiled CLI from dist/ (built by `npm run build`).
import { main } from '../dist/cli.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`flowguard: ${err && err.message ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
