/**
 * What each notification type does and the code it answers. Check may decline a payment; every
 * other type only acknowledges: anything but 0 makes CloudPayments repeat it (up to 100 times),
 * so a non-zero answer is kept for what a later repeat can succeed at (a database failure, a
 * format we do not read yet), never for a payment that has already happened. A message whose own
 * fields name another type than its URL's is not that notification at all: refused 13.
 */
import { createHash } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import { checkAccount } from '../../payments/account-check.js';
import { parseAmount } from '../../util/amount.js';
import type { IntakeContext } from '../types.js';
import type { Notification } from './message.js';
import type { CloudPaymentsSettings } from './settings.js';
import { type NotificationRecord, recordNotification } from './store.js';

export const Code = { ok: 0, wrongInvoice: 10, wrongAccount: 11, wrongAmount: 12, rejected: 13, expired: 20 } as const;
const CHECK_CODES = new Set<number>(Object.values(Code));

type Context = IntakeContext<CloudPaymentsSettings>;
export type Handler = (notification: Notification, context: Context, type: string) => Promise<number>;

const TRANSACTION_ID = /^\d{1,20}$/;

const check: Handler = async (notification, { settings, log }) => {
  const amount = parseAmount(notification.get('Amount'));
  if ('problem' in amount) return refuse(log, Code.wrongAmount, 'Amount is not a positive decimal with at most two places');
  const account = notification.get('AccountId');
  // Without an account the payment could not be delivered to the merchant: decline it now.
  if (!account) return refuse(log, Code.wrongAccount, 'no AccountId');
  if (!settings.checkUrl) return Code.ok;
  const details = {
    sum: amount.amount,
    currency: notification.get('Currency'),
    invoice_id: notification.get('InvoiceId'),
    transaction_id: notification.get('TransactionId'),
  };
  const answer = await checkAccount({ url: settings.checkUrl, timeoutMs: settings.checkTimeoutMs, account, details }, log);
  if (answer.outcome === 'exists') return merchantCode(answer.body);
  return answer.outcome === 'missing' ? Code.wrongAccount : Code.rejected;
};

/** The backend knows why a payment cannot go ahead: `{"code": 12}` is CloudPayments' own code. */
function merchantCode(body: unknown): number {
  const code = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as { code?: unknown }).code : undefined;
  return typeof code === 'number' && CHECK_CODES.has(code) ? code : Code.ok;
}

const pay: Handler = async (notification, context) => {
  const { log } = context;
  const code = notification.get('TransactionId');
  if (!code || !TRANSACTION_ID.test(code)) return refuse(log, Code.rejected, 'TransactionId is not 1 to 20 digits');
  const amount = parseAmount(notification.get('Amount'));
  if ('problem' in amount) return refuse(log, Code.wrongAmount, 'Amount is not a positive decimal with at most two places');
  const account = notification.get('AccountId');
  // The card is charged already: a payment we cannot deliver is kept aside, not refused in a loop.
  if (!account) return keepAside(notification, code, context, 'no AccountId: not delivered');
  const outcome = await context.recordPayment({
    account,
    code,
    sum: amount.amount,
    extra: {
      currency: notification.get('Currency'),
      invoice_id: notification.get('InvoiceId'),
      email: notification.get('Email'),
      test_mode: testMode(notification.get('TestMode')),
      payload: notification.payload,
    },
  });
  if (outcome.kind !== 'conflict') return Code.ok;
  const problem = `TransactionId already recorded with account ${outcome.account} and sum ${outcome.sum}: not delivered`;
  return keepAside(notification, code, context, problem);
};

async function keepAside(notification: Notification, code: string, context: Context, problem: string) {
  context.log.error({ transactionId: code, problem }, 'pay kept aside in the notification table');
  await record(context, { ...toRecord(notification, 'Pay', code), problem });
  return Code.ok;
}

/** Fail, Confirm, Refund, Cancel: once per TransactionId. */
const recordByTransaction: Handler = async (notification, context, type) => {
  const id = notification.get('TransactionId');
  if (!id || !TRANSACTION_ID.test(id)) return refuse(context.log, Code.rejected, 'TransactionId is not 1 to 20 digits');
  await record(context, toRecord(notification, type, id));
  return Code.ok;
};

/**
 * Recurrent: a subscription changes status many times under one Id (Active, PastDue, Active...),
 * so a repeat is the same Id with the same content, not merely the same Id.
 */
const recurrent: Handler = async (notification, context) => {
  const id = notification.get('Id');
  if (!id) return refuse(context.log, Code.rejected, 'no subscription Id');
  await record(context, toRecord(notification, 'Recurrent', `${id}:${digestOf(notification)}`));
  return Code.ok;
};

/**
 * Receipt and every type the cabinet adds (Kkt, SbpToken, ...): recorded once under its type, by
 * its TransactionId (and a receipt's Type: a payment and its refund each get one), or by the
 * message itself when it has none. Never refused for its content: a type we do not know yet is
 * still kept, and answered so that CloudPayments stops repeating it.
 */
export const anyType: Handler = async (notification, context, type) => {
  const id = notification.get('TransactionId');
  const key = id ? [id, notification.get('Type')].filter(Boolean).join(':') : digestOf(notification);
  await record(context, toRecord(notification, type, key));
  return Code.ok;
};

/**
 * Kept once in the notification table and, but for a Pay kept aside, recorded once as an event
 * for the events webhook. The event goes first: were the notification's insert to fail, the
 * repeat CloudPayments sends finds the event recorded and records the notification.
 */
async function record(context: Context, notification: NotificationRecord): Promise<void> {
  if (notification.type !== 'Pay') {
    await context.recordEvent({
      type: notification.type,
      idempotencyKey: notification.idempotencyKey,
      code: notification.transactionId,
      payment: notification.paymentTransactionId === undefined ? undefined : { code: notification.paymentTransactionId },
      account: notification.accountId,
      sum: notification.amount,
      payload: notification.payload,
    });
  }
  await recordNotification(context.db, context.table('notification'), notification);
}

function digestOf(notification: Notification): string {
  return createHash('sha256').update(JSON.stringify(notification.payload)).digest('hex').slice(0, 32);
}

/** Types whose TransactionId is the payment itself; a Refund names its payment in PaymentTransactionId. */
const OWN_PAYMENT = new Set(['Pay', 'Confirm', 'Cancel', 'Receipt']);

function toRecord(notification: Notification, type: string, key: string): NotificationRecord {
  const get = (name: string) => notification.get(name);
  const amount = parseAmount(get('Amount'));
  return {
    type,
    idempotencyKey: key,
    transactionId: get('TransactionId'),
    paymentTransactionId: get('PaymentTransactionId') ?? (OWN_PAYMENT.has(type) ? get('TransactionId') : undefined),
    subscriptionId: type === 'Recurrent' ? get('Id') : get('SubscriptionId'),
    accountId: get('AccountId'),
    amount: 'amount' in amount ? amount.amount : undefined,
    status: get('Status'),
    payload: notification.payload,
  };
}

function testMode(value: string | undefined): boolean | undefined {
  if (value === '1' || value?.toLowerCase() === 'true') return true;
  if (value === '0' || value?.toLowerCase() === 'false') return false;
  return undefined;
}

/**
 * A signature covers the message, not the URL it was posted to: a Pay replayed to /cancel would
 * otherwise reach the merchant as a Cancel. So a message that says what it is must say the type
 * of its endpoint. Only the fields CloudPayments sends are read, and only a value that names
 * another type contradicts: a field left out, or a value not listed here, says nothing.
 *
 * - OperationType: Payment in a Check, Pay or Fail (CardPayout, a payout to a card, is read
 *   alike), Refund in a Refund. Confirm and Cancel may come without one.
 * - Status, the payment's: Completed or Authorized in a Pay, Completed in a Confirm, Declined in
 *   a Fail, Cancelled in a Cancel that sends one. A Refund comes without one; a Recurrent's Status
 *   is its subscription's.
 *
 * Check is not judged (it records nothing, and a Pay is shaped like it), nor are Recurrent, Receipt
 * and the types the cabinet adds. The endpoint's type is read whatever its case:
 * `/_<name>_/Cancel` is a Cancel too.
 */
const PAYMENT_SIDE = ['pay', 'fail', 'confirm', 'cancel'];
const TYPE_FIELDS: { field: string; judged: ReadonlySet<string>; typesOf: ReadonlyMap<string, readonly string[]> }[] = [
  {
    field: 'OperationType',
    judged: new Set([...PAYMENT_SIDE, 'refund']),
    typesOf: new Map([
      ['payment', PAYMENT_SIDE],
      ['cardpayout', PAYMENT_SIDE],
      ['refund', ['refund']],
    ]),
  },
  {
    field: 'Status',
    judged: new Set(PAYMENT_SIDE),
    typesOf: new Map([
      ['completed', ['pay', 'confirm']],
      ['authorized', ['pay']],
      ['declined', ['fail']],
      ['cancelled', ['cancel']],
    ]),
  },
];

/** Why the message is not a notification of `type`, or undefined when nothing in it says so. */
export function typeContradiction(notification: Notification, type: string): string | undefined {
  const endpoint = type.toLowerCase();
  for (const { field, judged, typesOf } of TYPE_FIELDS) {
    if (!judged.has(endpoint)) continue;
    const value = notification.get(field);
    const types = value === undefined ? undefined : typesOf.get(value.toLowerCase());
    if (types && !types.includes(endpoint)) return `${field}=${value} is not sent with ${type}`;
  }
  return undefined;
}

/** A refusal, logged with its code and reason. */
export function refuse(log: FastifyBaseLogger, code: number, reason: string): number {
  log.warn({ code, reason }, 'notification refused');
  return code;
}

/** The cabinet's notification types at their paths, as the replaced container served them. */
export const handlers: Record<string, [type: string, handler: Handler]> = {
  '/check': ['Check', check],
  '/pay': ['Pay', pay],
  '/fail': ['Fail', recordByTransaction],
  '/confirm': ['Confirm', recordByTransaction],
  '/refund': ['Refund', recordByTransaction],
  '/cancel': ['Cancel', recordByTransaction],
  '/recurrent': ['Recurrent', recurrent],
  '/receipt': ['Receipt', anyType],
};
