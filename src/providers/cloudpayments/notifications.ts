/**
 * What each notification type does and the code it answers. Check may decline a payment; every
 * other type only acknowledges: anything but 0 makes CloudPayments repeat it (up to 100 times),
 * so a non-zero answer is kept for what a later repeat can succeed at (a database failure, a
 * format we do not read yet), never for a payment that has already happened.
 */
import { createHash } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import { checkAccount } from '../../payments/account-check.js';
import { recordPayment, type RequestLogRow } from '../../payments/record.js';
import { parseAmount } from '../../util/amount.js';
import type { ProviderContext } from '../types.js';
import type { Notification } from './message.js';
import type { CloudPaymentsSettings } from './settings.js';
import { recordNotification, type NotificationRecord } from './store.js';

export const Code = { ok: 0, wrongAccount: 11, wrongAmount: 12, rejected: 13 } as const;

type Context = ProviderContext<CloudPaymentsSettings>;
/** `logRow` takes the request's log row for a handler that commits it with a payment. */
type Handler = (
  notification: Notification,
  context: Context,
  log: FastifyBaseLogger,
  logRow?: () => RequestLogRow | undefined,
) => Promise<number>;

const TRANSACTION_ID = /^\d{1,20}$/;

async function check(notification: Notification, { settings }: Context, log: FastifyBaseLogger): Promise<number> {
  const amount = parseAmount(notification.get('Amount'));
  if ('problem' in amount) return refuse(log, Code.wrongAmount, 'Amount is not a positive decimal with at most two places');
  const account = notification.get('AccountId');
  // Without an account the payment could not be delivered to the merchant: decline it now.
  if (!account) return refuse(log, Code.wrongAccount, 'no AccountId');
  if (!settings.checkUrl) return Code.ok;
  const outcome = await checkAccount(
    {
      url: settings.checkUrl,
      timeoutMs: settings.checkTimeoutMs,
      account,
      details: {
        sum: amount.amount,
        currency: notification.get('Currency'),
        invoice_id: notification.get('InvoiceId'),
        transaction_id: notification.get('TransactionId'),
      },
    },
    log,
  );
  if (outcome === 'exists') return Code.ok;
  return outcome === 'missing' ? Code.wrongAccount : Code.rejected;
}

async function pay(
  notification: Notification,
  { db, wakeDelivery }: Context,
  log: FastifyBaseLogger,
  logRow?: () => RequestLogRow | undefined,
): Promise<number> {
  const code = notification.get('TransactionId');
  if (!code || !TRANSACTION_ID.test(code)) return refuse(log, Code.rejected, 'TransactionId is not 1 to 20 digits');
  const amount = parseAmount(notification.get('Amount'));
  if ('problem' in amount) return refuse(log, Code.wrongAmount, 'Amount is not a positive decimal with at most two places');
  const account = notification.get('AccountId');
  // The card is charged already: a payment we cannot deliver is kept aside, not refused in a loop.
  if (!account) return keepAside(notification, code, db, log, 'no AccountId: not delivered');
  const outcome = await recordPayment(
    db,
    'cloudpayments',
    {
      account,
      code,
      sum: amount.amount,
      extra: {
        currency: notification.get('Currency'),
        invoice_id: notification.get('InvoiceId'),
        email: notification.get('Email'),
        test_mode: testMode(notification.get('TestMode')),
        payload: JSON.stringify(notification.payload),
      },
    },
    logRow?.(),
  );
  if (outcome.kind === 'created') wakeDelivery();
  if (outcome.kind !== 'conflict') return Code.ok;
  const problem = `TransactionId already recorded with account ${outcome.account} and sum ${outcome.sum}: not delivered`;
  return keepAside(notification, code, db, log, problem);
}

async function keepAside(notification: Notification, code: string, db: Context['db'], log: FastifyBaseLogger, problem: string) {
  log.error({ transactionId: code, problem }, 'cloudpayments pay kept in cloudpayments_notification');
  await recordNotification(db, { ...toRecord(notification, 'Pay', code), problem });
  return Code.ok;
}

/** Fail, Confirm, Refund, Cancel: once per TransactionId. */
function recordByTransaction(type: 'Fail' | 'Confirm' | 'Refund' | 'Cancel'): Handler {
  return async (notification, { db }, log) => {
    const id = notification.get('TransactionId');
    if (!id || !TRANSACTION_ID.test(id)) return refuse(log, Code.rejected, 'TransactionId is not 1 to 20 digits');
    await recordNotification(db, toRecord(notification, type, id));
    return Code.ok;
  };
}

/**
 * Recurrent: a subscription changes status many times under one Id (Active, PastDue, Active...),
 * so a repeat is the same Id with the same content, not merely the same Id.
 */
const recurrent: Handler = async (notification, { db }, log) => {
  const id = notification.get('Id');
  if (!id) return refuse(log, Code.rejected, 'no subscription Id');
  const digest = createHash('sha256').update(JSON.stringify(notification.payload)).digest('hex').slice(0, 32);
  await recordNotification(db, toRecord(notification, 'Recurrent', `${id}:${digest}`));
  return Code.ok;
};

function toRecord(notification: Notification, type: NotificationRecord['type'], key: string): NotificationRecord {
  const get = (name: string) => notification.get(name);
  const amount = parseAmount(get('Amount'));
  const ownPayment = type === 'Confirm' || type === 'Cancel' || type === 'Pay';
  return {
    type,
    idempotencyKey: key,
    transactionId: get('TransactionId'),
    paymentTransactionId: get('PaymentTransactionId') ?? (ownPayment ? get('TransactionId') : undefined),
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

function refuse(log: FastifyBaseLogger, code: number, reason: string): number {
  log.warn({ code, reason }, 'cloudpayments notification refused');
  return code;
}

export const handlers: Record<string, Handler> = {
  '/check': check,
  '/pay': pay,
  '/fail': recordByTransaction('Fail'),
  '/confirm': recordByTransaction('Confirm'),
  '/refund': recordByTransaction('Refund'),
  '/cancel': recordByTransaction('Cancel'),
  '/recurrent': recurrent,
};
