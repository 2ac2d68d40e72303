/**
 * Pays over HTTP as a terminal network sends them, concurrently and repeated: each answered with
 * its own prv_txn, sharing commits, each request logged once (src/payments/record.ts).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../../test/helpers/gateway.js';

let gateway: TestGateway;
beforeAll(async () => {
  gateway = await startTestGateway();
});
afterAll(() => gateway.close());
afterEach(async () => {
  for (const table of ['transaction', 'http_log']) await gateway.db.query(`DELETE FROM ${gateway.db.table(`qiwi_${table}`)}`);
});

/** Each row with the transaction that wrote it: rows committed together share an xmin. */
const rowsOf = (table: string) =>
  gateway.db.query<{ id: string; xid: string; code?: string; url?: string }>(
    `SELECT *, xmin::text AS xid FROM ${gateway.db.table(table)} ORDER BY id`,
  );

describe('pays over HTTP', () => {
  it('answers concurrent pays and repeats with their own prv_txn, one log row each', async () => {
    const url = (txnId: number) => `/payment?command=pay&txn_id=${txnId}&account=acc${txnId}&sum=${txnId}.50`;
    const txnIds = Array.from({ length: 30 }, (_, i) => 500 + (i % 20));
    const answers = await Promise.all(txnIds.map((txnId) => gateway.app.inject(url(txnId))));
    const transactions = await rowsOf('qiwi_transaction');
    expect(transactions).toHaveLength(20);
    for (const [index, answer] of answers.entries()) {
      const row = transactions.find((t) => t.code === String(txnIds[index]))!;
      expect(answer.body).toContain(`<prv_txn>${row.id}</prv_txn>`);
      expect(answer.body).toContain('<result>0</result>');
    }
    const logs = await rowsOf('qiwi_http_log');
    expect(logs).toHaveLength(30);
    expect(new Set(logs.map((row) => row.xid)).size).toBeLessThan(30);
  });

  it('logs a refused pay once, before its answer', async () => {
    const answer = await gateway.app.inject('/payment?command=pay&txn_id=abc&account=1&sum=1.00');
    expect(answer.body).toContain('<result>300</result>');
    expect((await rowsOf('qiwi_http_log')).map((row) => row.url)).toEqual(['/payment?command=pay&txn_id=abc&account=1&sum=1.00']);
    expect(await rowsOf('qiwi_transaction')).toEqual([]);
  });
});
