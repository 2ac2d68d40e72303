/**
 * Group commit as the tables show it: a pay's request-log row and transaction row commit
 * together (the same xmin), concurrent pays share commits, and repeats, clashes and a value the
 * database refuses inside a shared batch each get their own outcome, the others untouched.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../test/helpers/gateway.js';
import type { Protocol } from '../providers/types.js';
import { batchSize, recordPayment, type RecordOutcome, type RequestLogRow } from './record.js';

/** An instance with columns of its own of each kind (text, boolean, json), and no endpoints: only its tables. */
const ledger: Protocol = {
  name: 'ledger',
  title: 'Ledger (a protocol of the test)',
  variables: [],
  migrationsDir: new URL('./fixtures/ledger-migrations/', import.meta.url),
  readSettings: (_env, shared) => shared,
  requestTypes: [],
  endpoints: {},
  charset: () => 'utf-8',
  refuse: () => ({ contentType: 'text/plain', body: 'refused' }),
  acceptsWebhookStatus: (status) => status === 200,
};

let gateway: TestGateway;
beforeAll(async () => {
  gateway = await startTestGateway({}, undefined, [ledger]);
});
afterAll(() => gateway.close());
afterEach(async () => {
  for (const table of ['transaction', 'http_log']) await gateway.db.query(`DELETE FROM ${gateway.db.table(`ledger_${table}`)}`);
});

/** Each row with the transaction that wrote it: rows committed together share an xmin. */
const rowsOf = (table: string) =>
  gateway.db.query<{ id: string; xid: string; code?: string; url?: string; created_at?: Date }>(
    `SELECT *, xmin::text AS xid FROM ${gateway.db.table(table)} ORDER BY id`,
  );

const logRow = (code: string): RequestLogRow => ({
  ip: '10.0.0.1',
  url: `/payment?txn_id=${code}`,
  method: 'GET',
  headers: { host: 'payrelay', authorization: '***' },
  body: null,
});

describe('recordPayment', () => {
  it('commits the log row and the transaction row together, and concurrent pays share commits', async () => {
    const codes = Array.from({ length: 40 }, (_, i) => String(1000 + i));
    const outcomes = await Promise.all(
      codes.map((code) => recordPayment(gateway.db, 'ledger', { account: 'a1', code, sum: '10.45' }, logRow(code))),
    );
    expect(outcomes.every((outcome) => outcome.kind === 'created')).toBe(true);
    const transactions = await rowsOf('ledger_transaction');
    const logs = await rowsOf('ledger_http_log');
    expect(transactions.map((row) => row.code).sort()).toEqual(codes);
    expect(logs.map((row) => row.url).sort()).toEqual(codes.map((code) => `/payment?txn_id=${code}`));
    expect(logs[0]).toMatchObject({ ip: '10.0.0.1', method: 'GET', headers: { host: 'payrelay', authorization: '***' } });
    for (const row of transactions) {
      expect(logs.find((log) => log.url === `/payment?txn_id=${row.code}`)!.xid).toBe(row.xid);
      expect(outcomes[codes.indexOf(row.code!)]).toEqual({ kind: 'created', id: String(row.id), createdAt: row.created_at });
    }
    // 40 pays submitted at once: far fewer commits than pays.
    expect(new Set(transactions.map((row) => row.xid)).size).toBeLessThan(codes.length / 2);
  });

  it('gives repeats inside one batch the id of the first, and a clash its own outcome', async () => {
    const pay = (code: string, sum: string, account = 'a1') =>
      recordPayment(gateway.db, 'ledger', { account, code, sum, extra: { note: '20260101120000' } }, logRow(code));
    // Four pays ahead take the commits a server may start at once, so the six below share one statement.
    const ahead = ['w1', 'w2', 'w3', 'w4'].map((code) => pay(code, '1.00'));
    const outcomes = await Promise.all([
      pay('1', '10.00'),
      pay('1', '10.00'),
      pay('2', '5.00'),
      pay('1', '11.00'),
      pay('1', '10.00', 'a2'),
      pay('3', '1.00'),
    ]);
    await Promise.all(ahead);
    const [one, two, three] = await gateway.db.query<{ id: string; code: string; note: string; created_at: Date }>(
      `SELECT id::text AS id, code, note, created_at FROM ${gateway.db.table('ledger_transaction')} WHERE code IN ('1', '2', '3') ORDER BY code`,
    );
    expect([one?.code, two?.code, three?.code, one?.note]).toEqual(['1', '2', '3', '20260101120000']);
    expect(outcomes).toEqual<RecordOutcome[]>([
      { kind: 'created', id: one!.id, createdAt: one!.created_at },
      { kind: 'repeated', id: one!.id, createdAt: one!.created_at },
      { kind: 'created', id: two!.id, createdAt: two!.created_at },
      { kind: 'conflict', id: one!.id, createdAt: one!.created_at, account: 'a1', sum: '10.00' },
      { kind: 'conflict', id: one!.id, createdAt: one!.created_at, account: 'a1', sum: '10.00' },
      { kind: 'created', id: three!.id, createdAt: three!.created_at },
    ]);
    // The same sum spelled otherwise is the same payment, first recorded when it was.
    expect(await pay('1', '10.0')).toEqual({ kind: 'repeated', id: one!.id, createdAt: one!.created_at });
    // Every request is logged, repeats and clashes too.
    expect(await rowsOf('ledger_http_log')).toHaveLength(11);
  });

  it('repeats a payment committed earlier, alone or with others', async () => {
    const first = await recordPayment(gateway.db, 'ledger', { account: 'a1', code: '77', sum: '3.00' });
    const again = await Promise.all([
      recordPayment(gateway.db, 'ledger', { account: 'a1', code: '77', sum: '3.00' }),
      recordPayment(gateway.db, 'ledger', { account: 'a1', code: '78', sum: '3.00' }),
    ]);
    expect(again[0]).toEqual({ kind: 'repeated', id: first.id, createdAt: first.createdAt });
    expect(again[1]!.kind).toBe('created');
    expect(await rowsOf('ledger_http_log')).toEqual([]);
  });

  it('fails only the pay whose value the database refuses, and still logs its request', async () => {
    const pay = (code: string, flag: unknown) =>
      recordPayment(gateway.db, 'ledger', { account: 'a1', code, sum: '2.00', extra: { flag: flag } }, logRow(code));
    // Four pays ahead take the commits a server may start at once: the four below share a statement.
    const ahead = ['1', '2', '3', '4'].map((code) => pay(code, true));
    const settled = await Promise.allSettled([pay('10', true), pay('11', 'not a boolean'), pay('12', false), pay('13', null)]);
    await Promise.all(ahead);
    expect(settled.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    const rows = await gateway.db.query<{ code: string; flag: boolean | null }>(
      `SELECT code, flag FROM ${gateway.db.table('ledger_transaction')} WHERE code LIKE '1_' ORDER BY code`,
    );
    expect(rows).toEqual([
      { code: '10', flag: true },
      { code: '12', flag: false },
      { code: '13', flag: null },
    ]);
    const logged = (await rowsOf('ledger_http_log')).map((row) => row.url).filter((url) => /=1.$/.test(url!));
    expect(logged.sort()).toEqual(['10', '11', '12', '13'].map((code) => `/payment?txn_id=${code}`));
  });
});

describe('batch sizes', () => {
  it('takes every waiting pay up to 32, then all but fewer than 16, from a bounded set of sizes', () => {
    const sizes = new Set<number>();
    for (let waiting = 1; waiting <= 1000; waiting++) {
      const size = batchSize(waiting);
      sizes.add(size);
      expect(size).toBeLessThanOrEqual(Math.min(waiting, 200));
      if (waiting <= 200) expect(waiting - size).toBeLessThan(waiting <= 32 ? 1 : 16);
    }
    expect(sizes.size).toBe(43);
  });

  it('records a burst larger than any batch, each row with its own values, the leftovers in later commits', async () => {
    const codes = Array.from({ length: 250 }, (_, i) => String(5000 + i));
    const outcomes = await Promise.all(
      codes.map((code, i) =>
        recordPayment(
          gateway.db,
          'ledger',
          // Extras differ from pay to pay: a column one pay leaves out is NULL in its row.
          { account: `a${i}`, code, sum: `${i}.01`, extra: i % 3 ? { currency: 'RUB', payload: { n: i } } : {} },
          i % 5 ? logRow(code) : undefined,
        ),
      ),
    );
    expect(outcomes.every((outcome) => outcome.kind === 'created')).toBe(true);
    const rows = await gateway.db.query<{
      code: string;
      account: string;
      sum: string;
      currency: string | null;
      payload: unknown;
    }>(`SELECT code, account, sum::text AS sum, currency, payload FROM ${gateway.db.table('ledger_transaction')} ORDER BY code`);
    expect(rows).toEqual(
      codes.map((code, i) => ({
        code,
        account: `a${i}`,
        sum: `${i}.01`,
        currency: i % 3 ? 'RUB' : null,
        payload: i % 3 ? { n: i } : null,
      })),
    );
    const logged = (await rowsOf('ledger_http_log')).map((row) => row.url);
    expect(logged.sort()).toEqual(codes.filter((_, i) => i % 5).map((code) => `/payment?txn_id=${code}`));
  });
});
