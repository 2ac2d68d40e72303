/** PGlite's folder holds every payment: it is the process's alone (issue 29, finding 14). */
import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { openPglite } from './pglite.js';

describe('the PGlite folder', () => {
  it('is narrowed to its owner, whatever the umask or a copy made it', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'payrelay-pglite-private-'));
    onTestFinished(() => rmSync(parent, { recursive: true, force: true }));
    const folder = join(parent, 'data');
    const db = await openPglite(folder, 'public');
    onTestFinished(() => db.close());
    expect(statSync(folder).mode & 0o777).toBe(0o700);
    await db.close();

    chmodSync(folder, 0o755);
    const again = await openPglite(folder, 'public');
    onTestFinished(() => again.close());
    expect(statSync(folder).mode & 0o777).toBe(0o700);
  }, 60_000);
});
