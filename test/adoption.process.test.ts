/**
 * A drop-in for a replaced container: its tables, rows included, are adopted. Pending rows are
 * delivered, and a repeat of an old payment stays a repeat.
 */
import { expect, it } from 'vitest';
import { openDatabase } from './helpers/backlog.js';
import { freshDatabaseOnDisk, type TestDatabase } from './helpers/engine.js';
import { startTestGateway } from './helpers/gateway.js';
import { startReceiver, waitFor } from './helpers/receiver.js';

/** The tables as a replaced container left them: no bookkeeping columns, no unique index. */
async function oldContainerTables(database: TestDatabase): Promise<void> {
  const db = await openDatabase(database.env);
  await db.exec(`
    CREATE SCHEMA IF NOT EXISTS "${db.schema}";
    CREATE TABLE ${db.table('qiwi_transaction')} (id bigserial PRIMARY KEY, account text, code text, sum numeric, status int DEFAULT 0, created_at timestamptz DEFAULT now());
    CREATE TABLE ${db.table('qiwi_webhook_log')} (id bigserial PRIMARY KEY, body text, created_at timestamptz DEFAULT now());
    INSERT INTO ${db.table('qiwi_transaction')} (account, code, sum, status) VALUES ('old-1', '111', 5.5, 1), ('old-2', '222', 7.25, 0);
  `);
  await db.close();
}

it('adopts the tables of the container it replaces', async () => {
  const database = freshDatabaseOnDisk();
  await oldContainerTables(database);
  const backend = await startReceiver();
  const gateway = await startTestGateway({ QIWI_WEBHOOK_URL: backend.url }, database);

  await waitFor(() => backend.received.length === 1, 'the pending old payment');
  expect(JSON.parse(backend.received[0]!.body)).toMatchObject({ account: 'old-2', code: '222', sum: 7.25 });

  const repeat = await gateway.app.inject('/payment?command=pay&txn_id=111&account=old-1&sum=5.50');
  expect(repeat.body).toContain('<prv_txn>1</prv_txn>');
  const rows = await gateway.db.query(`SELECT code FROM ${gateway.db.table('qiwi_transaction')} WHERE code = '111'`);
  expect(rows).toHaveLength(1);
});
