import { defineAcceptance } from './acceptance.ts';

// Bridge mode (a bridge-family table on the gateway's bridge) with one attack, then unblock,
// restart and spoofed flood. About 2.5 minutes.
defineAcceptance({ mode: 'bridge', scenarios: ['hulk'] });
