import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { startTestGateway, type TestGateway } from '../../test/helpers/gateway.js';
import { waitFor } from '../../test/helpers/receiver.js';
import { maintainEmbedded } from './maintenance.js';

let gateway: TestGateway;
beforeAll(async () => {
  gateway = await startTestGateway();
});
afterAll(() => gateway.close());

it('vacuums and analyses the embedded database now and then, and leaves a server to itself', async () => {
  const { db, app } = gateway;
  const analysed = async () => {
    const [row] = await db.query<{ last_vacuum: Date | null; last_analyze: Date | null }>(
      `SELECT last_vacuum, last_analyze FROM pg_stat_user_tables WHERE schemaname = $1 AND relname = 'qiwi_transaction'`,
      [db.schema],
    );
    return row?.last_vacuum && row.last_analyze;
  };
  if (db.kind === 'pglite') {
    const stop = maintainEmbedded(db, ['qiwi_transaction'], app.log, 50);
    try {
      await waitFor(analysed, 'a VACUUM (ANALYZE)', 5000);
    } finally {
      stop();
    }
  } else {
    // Ten rounds' time on a fake clock: on a server it sends the database nothing (autovacuum's work).
    const exec = vi.spyOn(db, 'exec');
    const query = vi.spyOn(db, 'query');
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    try {
      const stop = maintainEmbedded(db, ['qiwi_transaction'], app.log, 50);
      vi.advanceTimersByTime(10 * 50);
      stop();
    } finally {
      vi.useRealTimers();
    }
    expect(exec).not.toHaveBeenCalled();
    expect(query).not.toHaveBeenCalled();
    exec.mockRestore();
    query.mockRestore();
    expect(await analysed()).toBeFalsy();
  }
});
