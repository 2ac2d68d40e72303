/**
 * The four calls FreedomPay makes. Check may refuse a payment before the money is taken; result,
 * refund and capture report what has happened, so they are answered `ok` once recorded (a result
 * is never `rejected`: the money is taken) and `error` only for what a repeat cannot mend (a
 * malformed message, another merchant's) or, with HTTP 503, for our own failure, which
 * FreedomPay repeats. Nothing is recorded before the message proved itself (see ./exchange.ts).
 */
import { createHash } from 'node:crypto';
import { checkAccount } from '../../payments/account-check.js';
import type { Answer, Endpoint, IntakeContext } from '../types.js';
import { type Exchange, exchangeOf, reply } from './exchange.js';
import type { Fields } from './message.js';
import type { PayboxSettings } from './settings.js';

type Context = IntakeContext<PayboxSettings>;

const PAYMENT_ID = /^\d{1,20}$/;
const MAX_ORDER_ID = 200;
// C0 and C1 controls, DEL and a byte-order mark are never part of an order id a merchant made.
const NOT_IN_ORDER_ID = /[\u0000-\u001f\u007f-\u009f\ufeff]/;
const DECIMAL = /^(\d{1,40})(?:\.(\d{1,40}))?$/;
const MAX_INTEGER_DIGITS = 12;
const CURRENCY = /^[A-Za-z]{3}$/;
/** FreedomPay's own default when a message names no currency. */
export const DEFAULT_CURRENCY = 'KZT';

/**
 * A positive decimal exactly as its digits say: trailing zeros after the second place dropped
 * (`1.0000` is `1.00`), more significant places kept (`0.125`), never rounded.
 */
export function exactAmount(raw: string): string | undefined {
  const match = DECIMAL.exec(raw);
  if (!match) return undefined;
  const integer = match[1]!.replace(/^0+(?=\d)/, '');
  if (integer.length > MAX_INTEGER_DIGITS) return undefined;
  const fraction = (match[2] ?? '').replace(/0+$/, '').padEnd(2, '0');
  const amount = `${integer}.${fraction}`;
  return /^0\.0+$/.test(amount) ? undefined : amount;
}

/** What is wrong with a message, for the log; the answer says only `malformed request`. */
class Malformed extends Error {}

function must<T>(value: T | undefined, problem: string): T {
  if (value === undefined) throw new Malformed(problem);
  return value;
}

/** A field that may be absent; there but not one readable value, it is malformed. */
function optional(fields: Fields, name: string): string | undefined {
  const value = fields.get(name);
  if ('text' in value) return value.text;
  if (value.problem === 'absent') return undefined;
  throw new Malformed(`${name} is ${value.problem === 'twice' ? 'given twice with different values' : 'a group, not a value'}`);
}

function orderId(fields: Fields, required: boolean): string | undefined {
  const value = optional(fields, 'pg_order_id');
  if (value === undefined) return required ? must(undefined, 'pg_order_id is missing') : undefined;
  const printable = value.trim() !== '' && value.length <= MAX_ORDER_ID && !NOT_IN_ORDER_ID.test(value);
  return must(printable ? value : undefined, `pg_order_id must be 1 to ${MAX_ORDER_ID} printable characters`);
}

function paymentId(fields: Fields): string {
  const value = must(optional(fields, 'pg_payment_id'), 'pg_payment_id is missing');
  return must(PAYMENT_ID.test(value) ? value : undefined, 'pg_payment_id must be 1 to 20 digits');
}

function amount(fields: Fields, name: string, required: boolean): string | undefined {
  const value = optional(fields, name);
  if (value === undefined) return required ? must(undefined, `${name} is missing`) : undefined;
  return must(exactAmount(value), `${name} must be a positive decimal`);
}

function currency(fields: Fields): string | undefined {
  const value = optional(fields, 'pg_currency');
  return value === undefined ? undefined : must(CURRENCY.test(value) ? value : undefined, 'pg_currency must be three letters');
}

function flag(value: string | undefined): boolean | undefined {
  return value === '1' ? true : value === '0' ? false : undefined;
}

/**
 * The endpoint around a call's own work: the message must have been read, name this merchant when
 * it names one, and have the fields the work reads; anything else answers `error`.
 */
function call(
  type: string,
  work: (fields: Fields, exchange: Exchange, context: Context) => Promise<Answer>,
): Endpoint<PayboxSettings> {
  return async (message, context) => {
    const exchange = exchangeOf(message, context.settings);
    const { fields } = exchange;
    try {
      if (!fields) throw new Malformed(exchange.problem ?? 'unreadable');
      const merchant = optional(fields, 'pg_merchant_id');
      const expected = context.settings.merchantId;
      if (merchant !== undefined && expected !== undefined && merchant !== expected) {
        context.log.warn({ instance: context.name, type }, 'call refused: it names another merchant');
        return reply(exchange, { status: 'error', description: 'unknown merchant', type });
      }
      return await work(fields, exchange, context);
    } catch (error) {
      if (!(error instanceof Malformed)) throw error;
      context.log.warn({ instance: context.name, type, problem: error.message }, 'call refused: malformed');
      return reply(exchange, { status: 'error', description: 'malformed request', type });
    }
  };
}

/** May the payment go ahead? The merchant's account check says, when there is one; nothing is recorded. */
const check = call('check', async (fields, exchange, { settings, log }) => {
  const account = orderId(fields, true)!;
  const details = {
    sum: amount(fields, 'pg_amount', false),
    currency: currency(fields),
    payment_id: optional(fields, 'pg_payment_id'),
  };
  if (!settings.checkUrl) return reply(exchange, { status: 'ok', description: 'accepted', type: 'check' });
  const answer = await checkAccount({ url: settings.checkUrl, timeoutMs: settings.checkTimeoutMs, account, details }, log);
  if (answer.outcome === 'exists') return reply(exchange, { status: 'ok', description: 'accepted', type: 'check' });
  if (answer.outcome === 'missing')
    return reply(exchange, { status: 'rejected', description: 'account not found', type: 'check' });
  return reply(exchange, { status: 'error', description: 'account check unavailable', type: 'check', outcome: 'error' });
});

/** How the payment ended: 1 paid (recorded once), 0 failed and 2 incomplete (events). */
const result = call('result', async (fields, exchange, context) => {
  const outcome = must(optional(fields, 'pg_result'), 'pg_result is missing');
  if (outcome !== '0' && outcome !== '1' && outcome !== '2') throw new Malformed('pg_result must be 0, 1 or 2');
  const code = paymentId(fields);
  const account = orderId(fields, true)!;
  const sum = amount(fields, 'pg_amount', true)!;
  const money = currency(fields) ?? DEFAULT_CURRENCY;
  if (outcome !== '1') {
    const type = outcome === '0' ? 'failure' : 'incomplete';
    await record(context, fields, { type, idempotencyKey: code, payment: code, account, sum });
    return reply(exchange, { status: 'ok', description: 'accepted', type: 'failure' });
  }
  const payload = fields.payloadJson();
  const recorded = await context.recordPayment({
    account,
    code,
    sum,
    extra: {
      currency: money,
      payment_date: optional(fields, 'pg_payment_date'),
      testing_mode: flag(optional(fields, 'pg_testing_mode')),
      can_reject: flag(optional(fields, 'pg_can_reject')),
      payload,
    },
  });
  if (recorded.kind === 'conflict') {
    // The money is taken: FreedomPay hears `ok`; the merchant hears of nothing it could credit twice.
    const problem = `pg_payment_id already recorded with account ${recorded.account} and sum ${recorded.sum}: not delivered`;
    context.log.error({ instance: context.name, paymentId: code, problem }, 'paid result kept aside');
    await keepAside(context, { code, account, sum, currency: money, problem, payload });
  }
  return reply(exchange, { status: 'ok', description: 'accepted', type: 'pay' });
});

/** A refund of a payment: an event once per refund (its pg_refund_id, else its content). */
const refund = call('refund', async (fields, exchange, context) => {
  const payment = paymentId(fields);
  // An empty pg_refund_id names no refund: every such refund would otherwise be one.
  const refundId = optional(fields, 'pg_refund_id') || undefined;
  const sum = amount(fields, 'pg_refund_amount', false) ?? amount(fields, 'pg_amount', false);
  const idempotencyKey = refundId ?? `${payment}:${digestOf(fields)}`;
  const account = orderId(fields, false);
  await record(context, fields, { type: 'refund', idempotencyKey, code: refundId, payment, account, sum });
  return reply(exchange, { status: 'ok', description: 'accepted', type: 'refund' });
});

/** A two-step payment captured: one event per payment. */
const capture = call('capture', async (fields, exchange, context) => {
  const payment = paymentId(fields);
  const sum = amount(fields, 'pg_amount', false);
  await record(context, fields, { type: 'capture', idempotencyKey: payment, payment, account: orderId(fields, false), sum });
  return reply(exchange, { status: 'ok', description: 'accepted', type: 'capture' });
});

interface EventFacts {
  type: string;
  idempotencyKey: string;
  code?: string;
  /** The payment's pg_payment_id. */
  payment: string;
  account?: string;
  sum?: string;
}

async function record(context: Context, fields: Fields, event: EventFacts): Promise<void> {
  const { payment, ...rest } = event;
  await context.recordEvent({ ...rest, payment: { code: payment }, payload: fields.payload() });
}

/** A refund's content without what changes between FreedomPay's repeats (salt and signature). */
function digestOf(fields: Fields): string {
  const { pg_salt: _salt, ...content } = fields.payload();
  return createHash('sha256').update(JSON.stringify(content)).digest('hex').slice(0, 32);
}

interface KeptAside {
  code: string;
  account: string;
  sum: string;
  currency: string;
  problem: string;
  /** JSON text. */
  payload: string;
}

async function keepAside({ db, table }: Context, kept: KeptAside): Promise<void> {
  await db.query(
    `INSERT INTO ${table('kept_aside')} (payment_id, order_id, amount, currency, problem, payload)
     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (payment_id, order_id, amount) DO NOTHING`,
    [kept.code, kept.account, kept.sum, kept.currency, kept.problem, kept.payload],
  );
}

export const endpoints = { '/check': check, '/result': result, '/refund': refund, '/capture': capture };
