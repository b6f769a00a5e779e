import { defineAcceptance } from './acceptance.ts';

// Router mode: every attack, then unblock, restart and spoofed flood. About 11 minutes.
defineAcceptance({ mode: 'router' });
