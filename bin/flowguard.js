#!/usr/bin/env node
// Entry point of the installed command: runs the compiled CLI from dist/ (built by `npm run build`).
import { main } from '../dist/cli.js';

// A reader that closes the pipe early (`flowguard verdicts | head`) is not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err && err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`flowguard: ${err && err.message ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
