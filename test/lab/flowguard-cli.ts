/** Runs the flowguard CLI from source (tests have no build step): node --import tsx test/lab/flowguard-cli.ts ARGS. */
import { main } from '../../src/cli.ts';

process.exitCode = await main(process.argv.slice(2));
