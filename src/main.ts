#!/usr/bin/env -S node --max-semi-space-size=16 --initial-old-space-size=64
import { runCli } from './cli/index.js';

// process.exit rather than letting the loop drain: a command's open handles (a pool's idle
// timer) must not keep a finished command alive.
runCli(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`payrelay: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
