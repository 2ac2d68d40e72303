/**
 * A QIWI terminal network as the crash and outage tests need it: a stream of distinct pays on
 * parallel connections, every answer (or its absence) recorded as the network saw it, and a
 * look at the stored payments through the same Db port payrelay uses.
 */
import type { Env } from '../../src/config/env.js';
import { openDatabase } from './backlog.js';

export interface PayOutcome {
  txnId: string;
  startedAt: number;
  endedAt: number;
  /** What came back over the wire; absent when the connection failed (no answer at all). */
  answer?: { status: number; contentType: string; body: string; result?: number; prvTxn?: string };
  error?: string;
}

export const ACCOUNT = '4957835959';
/** The sum follows from the txn_id, so that a repeat of a pay is the same pay. */
export const sumFor = (txnId: string) => `${Number(txnId.slice(-2)) + 1}.45`;

export async function pay(baseUrl: string, txnId: string): Promise<PayOutcome> {
  const startedAt = Date.now();
  const query = `command=pay&txn_id=${txnId}&txn_date=20260101120000&account=${ACCOUNT}&sum=${sumFor(txnId)}`;
  try {
    const response = await fetch(`${baseUrl}/payment?${query}`, { signal: AbortSignal.timeout(10_000) });
    const body = await response.text();
    const result = /<result>(\d+)<\/result>/.exec(body)?.[1];
    return {
      txnId,
      startedAt,
      endedAt: Date.now(),
      answer: {
        status: response.status,
        contentType: response.headers.get('content-type') ?? '',
        body,
        result: result === undefined ? undefined : Number(result),
        prvTxn: /<prv_txn>(\d+)<\/prv_txn>/.exec(body)?.[1],
      },
    };
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    return { txnId, startedAt, endedAt: Date.now(), error: cause ?? String(error) };
  }
}

/** Pays each txn_id once, `parallel` at a time, as a network catching up on its retries. */
export async function payAll(baseUrl: string, txnIds: string[], parallel = 8): Promise<PayOutcome[]> {
  const queue = [...txnIds];
  const outcomes: PayOutcome[] = [];
  const worker = async () => {
    for (let txnId = queue.shift(); txnId !== undefined; txnId = queue.shift()) outcomes.push(await pay(baseUrl, txnId));
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return outcomes;
}

export const acknowledged = (outcome: PayOutcome) => outcome.answer?.result === 0 && outcome.answer.prvTxn !== undefined;

/**
 * `loops` connections, each paying distinct txn_ids (`<prefix><loop><n>`) one after another
 * until stopped, as a terminal network with that many parallel connections does.
 */
export function payStream(baseUrl: string, prefix: string, loops = 8) {
  const outcomes: PayOutcome[] = [];
  let stopped = false;
  const loop = async (index: number) => {
    for (let n = 0; !stopped; n++) {
      const outcome = await pay(baseUrl, `${prefix}${index}${String(n).padStart(6, '0')}`);
      outcomes.push(outcome);
      // A refusal or a dead gateway comes back at once: pause, as a network retrying later would.
      if (!acknowledged(outcome)) await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  const running = Promise.all(Array.from({ length: loops }, (_, index) => loop(index)));
  return {
    outcomes,
    acknowledgedCount: () => outcomes.filter(acknowledged).length,
    async stop() {
      stopped = true;
      await running;
      return outcomes;
    },
  };
}

export interface StoredPayment {
  id: string;
  code: string;
  account: string;
  sum: string;
  status: number;
}

/** Every stored QIWI payment. PGlite allows one process on a data dir: call it once the gateway is gone. */
export async function storedPayments(env: Env): Promise<StoredPayment[]> {
  const db = await openDatabase(env);
  try {
    return await db.query<StoredPayment & Record<string, unknown>>(
      `SELECT id, code, account, sum::text AS sum, status FROM ${db.table('qiwi_transaction')} ORDER BY id`,
    );
  } finally {
    await db.close();
  }
}
