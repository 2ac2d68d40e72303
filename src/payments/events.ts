/**
 * What a network may do to a payment after it is made, for every protocol alike and never with
 * a protocol's own SQL: find it, cancel it, record an event about it. One query per function.
 */
import type { Db } from '../db/index.js';
import { jsonParam } from '../db/json-param.js';

/** A payment as a protocol names it: by the network's id (`code`) or by payrelay's (`id`). */
export type PaymentRef = { code: string } | { id: string };

export interface StoredPayment {
  id: string;
  account: string;
  code: string;
  sum: string;
  /** 0 not yet delivered, 1 delivered. */
  status: number;
  created_at: Date;
  cancelled_at: Date | null;
  cancel_reason: string | null;
}

export interface NewEvent {
  /** `cancel`, `refund`, `failure`, `capture`, or the network's own word (`Refund`, `Receipt`). */
  type: string;
  /** What makes a repeat a repeat: networks resend an event until it is answered. */
  idempotencyKey: string;
  /** The network's own id of the event, when it has one. */
  code?: string;
  /** The payment it is about, when there is one. */
  payment?: PaymentRef;
  account?: string;
  /** A decimal string. */
  sum?: string;
  /** The network's own fields, as received. */
  payload?: Record<string, unknown>;
}

export type CancelOutcome = { kind: 'cancelled' | 'already'; payment: StoredPayment } | { kind: 'missing' };

const COLUMNS = 'id::text AS id, account, code, sum::text AS sum, status, created_at, cancelled_at, cancel_reason';

function where(ref: PaymentRef): [string, string] {
  return 'code' in ref ? ['code = $1', ref.code] : ['id = $1::bigint', ref.id];
}

/** The payment, or undefined when the instance has none by that id. */
export async function findPayment(db: Db, instance: string, ref: PaymentRef): Promise<StoredPayment | undefined> {
  if ('id' in ref && !/^\d{1,18}$/.test(ref.id)) return undefined;
  const [condition, value] = where(ref);
  const [row] = await db.query<StoredPayment & Record<string, unknown>>(
    `SELECT ${COLUMNS} FROM ${db.table(`${instance}_transaction`)} WHERE ${condition}`,
    [value],
  );
  return row && normalise(row);
}

/**
 * Marks the payment cancelled, once: a second cancel finds it `already` cancelled and keeps the
 * first time and reason. A payment not yet delivered is then never delivered as a payment.
 */
export async function cancelPayment(db: Db, instance: string, ref: PaymentRef, reason: string): Promise<CancelOutcome> {
  if ('id' in ref && !/^\d{1,18}$/.test(ref.id)) return { kind: 'missing' };
  const [condition, value] = where(ref);
  const table = db.table(`${instance}_transaction`);
  const [cancelled] = await db.query<StoredPayment & Record<string, unknown>>(
    `UPDATE ${table} SET cancelled_at = now(), cancel_reason = $2
     WHERE ${condition} AND cancelled_at IS NULL RETURNING ${COLUMNS}`,
    [value, reason],
  );
  if (cancelled) return { kind: 'cancelled', payment: normalise(cancelled) };
  const payment = await findPayment(db, instance, ref);
  return payment ? { kind: 'already', payment } : { kind: 'missing' };
}

/**
 * Records an event once per (type, idempotency key); a repeat, also a concurrent one, changes
 * nothing. A payment named by payrelay's id is stored by its code, as the network knows it.
 */
export async function recordEvent(db: Db, instance: string, event: NewEvent): Promise<'created' | 'repeated'> {
  const id = event.payment && 'id' in event.payment ? event.payment.id : null;
  // An id that is no id names no payment (and must not fail the cast).
  const byId = id !== null && /^\d{1,18}$/.test(id) ? id : null;
  const byCode = event.payment && 'code' in event.payment ? event.payment.code : null;
  const rows = await db.query(
    `INSERT INTO ${db.table(`${instance}_event`)} (type, idempotency_key, code, payment_code, account, sum, payload)
     VALUES ($1, $2, $3,
       coalesce($4, (SELECT code FROM ${db.table(`${instance}_transaction`)} WHERE id = $5::bigint)),
       $6, $7, $8)
     ON CONFLICT (type, idempotency_key) DO NOTHING RETURNING id`,
    [
      event.type,
      event.idempotencyKey,
      event.code ?? null,
      byCode,
      byId,
      event.account ?? null,
      event.sum ?? null,
      jsonParam(event.payload ?? {}),
    ],
  );
  return rows.length ? 'created' : 'repeated';
}

/** PGlite and pg differ in what they return for a bigint and a smallint. */
function normalise(row: StoredPayment): StoredPayment {
  return { ...row, id: String(row.id), status: Number(row.status) };
}
