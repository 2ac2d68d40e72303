/**
 * Every way payrelay is started gives node the same flags (src/node-flags.ts): a V8 heap flag
 * cannot be set from inside the process, so a start path that forgot it would run with Node.js
 * 24's larger young generation. The image's test checks the running container's command line.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NODE_FLAGS } from '../src/node-flags.js';

const ROOT = new URL('../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, ROOT), 'utf8');
const flags = NODE_FLAGS.join(' ');

describe('the flags node runs payrelay with', () => {
  it('npm start passes them', () => {
    expect(JSON.parse(read('package.json')).scripts.start).toBe(`node ${flags} dist/main.js`);
  });

  it('the payrelay command (npx payrelay) names them on its first line, as built', () => {
    expect(read('dist/main.js').split('\n', 1)[0]).toBe(`#!/usr/bin/env -S node ${flags}`);
  });

  it('the image starts node with them', () => {
    expect(read('deploy/image/entrypoint.sh')).toContain(`\nexec node ${flags} /app/dist/main.js "$@"\n`);
  });

  it('bound the young generation on this node: two semi-spaces of 16 MB', () => {
    // Allocation fast enough to make V8 grow its young generation as far as it may.
    const script = `const kept = [];
      for (let i = 0; i < 2e7; i++) { const o = { i, s: 'x' + i }; if (i % 64 === 0) kept.push(o); if (kept.length > 4096) kept.length = 0; }
      const young = require('node:v8').getHeapSpaceStatistics().find((space) => space.space_name === 'new_space');
      process.stdout.write(String(young.space_size));`;
    const bytes = Number(execFileSync(process.execPath, [...NODE_FLAGS, '-e', script], { encoding: 'utf8' }));
    expect(bytes).toBeGreaterThan(0);
    expect(bytes).toBeLessThanOrEqual(32 * 1024 * 1024);
  });
});
