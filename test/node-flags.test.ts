/**
 * Every way payrelay is started gives node the same flags (src/node-flags.ts): a V8 heap flag
 * cannot be set from inside the process, so a start path that forgot them would run with Node.js
 * 24's larger young generation and a full collection every 2 s under load. The image's test
 * checks the running container's command line.
 */
import { execFileSync, spawnSync } from 'node:child_process';
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

  it('the payrelay command (npx payrelay) names them on its first line, which tsc keeps in the build', () => {
    expect(read('src/main.ts').split('\n', 1)[0]).toBe(`#!/usr/bin/env -S node ${flags}`);
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

  it("hold the old generation's first full collection off until it holds 64 MB, on this node", () => {
    // About 40 MB kept, in small objects that reach the old generation through the young one, next
    // to short-lived garbage: what a running gateway promotes in 10 s at 6,000 pays a second.
    const script = `const kept = [];
      for (let i = 0; i < 160000; i++) { kept.push({ i, s: String(i).padEnd(64, '.') }); for (let j = 0; j < 8; j++) ({ j, t: 'g' + j }); }
      const old = require('node:v8').getHeapSpaceStatistics().find((space) => space.space_name === 'old_space');
      process.stderr.write(String(old.space_used_size));`;
    /** The heap's size in MB as each full collection began (`Mark-Compact 27.5 (49.7) -> …`). */
    const fullCollections = (nodeFlags: string[]) => {
      const run = spawnSync(process.execPath, [...nodeFlags, '--trace-gc', '-e', script], { encoding: 'utf8' });
      expect(run.status).toBe(0);
      expect(Number(run.stderr)).toBeGreaterThan(30 * 1024 * 1024);
      return [...run.stdout.matchAll(/Mark-Compact ([\d.]+) \(/g)].map((match) => Number(match[1]));
    };
    // With the flag, V8 begins marking near 50 MB; on a busy machine that marking may finish
    // before the script ends (1 run in 30 under load), so what is held is where it begins.
    expect(fullCollections(NODE_FLAGS).filter((heapMb) => heapMb < 45)).toEqual([]);
    // Without the flag V8 marks the whole heap at least once on the way: the test can tell the two apart.
    expect(fullCollections(NODE_FLAGS.filter((flag) => !flag.startsWith('--initial-old-space-size'))).length).toBeGreaterThan(0);
  });
});
