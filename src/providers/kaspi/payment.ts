import { forEachFormField } from '../../http/form.js';
import { checkAccount } from '../../payments/account-check.js';
import type { PaymentRef } from '../../payments/events.js';
import { storableText } from '../../util/text.js';
import type { Answer, IncomingMessage, IntakeContext, ProviderSettings } from '../types.js';
import { FormParams } from '../kit/params.js';
import { fieldsOf } from '../kit/fields.js';
import { backendRefusal, type KaspiAnswer, type KaspiRequest, parseRequest, Result, renderAnswer } from './protocol.js';

type Context = IntakeContext<ProviderSettings>;
type Check = Extract<KaspiRequest, { command: 'check' }>;
type Pay = Extract<KaspiRequest, { command: 'pay' }>;
type Cancel = Extract<KaspiRequest, { command: 'cancel' }>;

const CONTENT_TYPE = 'application/json; charset=utf-8';
const CANCEL_REASON = 'cancelled by the network (command=cancel)';

/** `/payment`: check, pay and cancel. Whatever happens the network gets the JSON answer. */
export async function payment(message: IncomingMessage, context: Context): Promise<Answer> {
  const params = FormParams.of(message);
  const parsed = parseRequest(params);
  if ('refusal' in parsed) return jsonAnswer(parsed.refusal, params.echo('command'));
  const { request } = parsed;
  switch (request.command) {
    case 'check':
      return check(request, context);
    case 'pay':
      return jsonAnswer(await pay(request, context), 'pay');
    case 'cancel':
      return jsonAnswer(await cancel(request, message, context), 'cancel');
  }
}

/** A check has no memory and records nothing: the merchant's backend alone says yes or no. */
async function check(request: Check, { settings, log }: Context): Promise<Answer> {
  const ok = { txnId: request.txnId, result: Result.ok, comment: 'OK' };
  if (!settings.checkUrl) return jsonAnswer(ok, 'check');
  // The sum of a check is a dummy: the backend is not told it.
  const details = { txn_id: request.txnId };
  const answer = await checkAccount(
    { url: settings.checkUrl, timeoutMs: settings.checkTimeoutMs, account: request.account, details },
    log,
  );
  if (answer.outcome === 'exists') return jsonAnswer({ ...ok, fields: fieldsOf(answer.body) }, 'check');
  if (answer.outcome === 'missing') return jsonAnswer({ txnId: request.txnId, ...backendRefusal(answer.status) }, 'check');
  return jsonAnswer({ txnId: request.txnId, result: Result.other, comment: 'Account check unavailable, retry' }, 'check', 503);
}

/** Answered 0 only once the payment is committed; a repeat gets the first answer's bytes. */
async function pay(request: Pay, { recordPayment }: Context): Promise<KaspiAnswer> {
  const outcome = await recordPayment({
    account: request.account,
    code: request.txnId,
    sum: request.sum,
    extra: { txn_date: request.txnDate },
  });
  if (outcome.kind === 'conflict') {
    return { txnId: request.txnId, result: Result.other, comment: 'txn_id already used with other data' };
  }
  return { txnId: request.txnId, prvTxn: outcome.id, result: Result.ok, sum: request.sum, comment: 'OK' };
}

/**
 * Marks the payment cancelled and tells the merchant with a `cancel` event, once however often
 * the network repeats it: a repeat finds it cancelled already and gets the same answer. The
 * event is recorded on a repeat too, so a cancel whose event failed is completed by its repeat.
 */
async function cancel(request: Cancel, message: IncomingMessage, context: Context): Promise<KaspiAnswer> {
  const notFound = { txnId: request.txnId, result: Result.accountNotFound, comment: 'Payment not found' };
  const ref: PaymentRef = request.prvTxn !== undefined ? { id: request.prvTxn } : { code: request.txnId! };
  if (request.prvTxn !== undefined && request.txnId !== undefined) {
    const named = await context.findPayment(ref);
    if (named?.code !== request.txnId) return notFound;
  }
  const outcome = await context.cancelPayment(ref, CANCEL_REASON);
  if (outcome.kind === 'missing') return notFound;
  const { payment } = outcome;
  await context.recordEvent({
    type: 'cancel',
    idempotencyKey: payment.code,
    payment: { code: payment.code },
    account: payment.account,
    sum: payment.sum,
    payload: parametersOf(message),
  });
  return { txnId: payment.code, prvTxn: payment.id, result: Result.ok, comment: 'Cancelled' };
}

/** Every parameter as sent (the first of a repeated name), for the event's `fields`. */
function parametersOf(message: IncomingMessage): Record<string, string> {
  const parameters: Record<string, string> = {};
  const keep = (name: string, value: string) => {
    const key = storableText(name);
    if (Object.hasOwn(parameters, key)) return;
    // A parameter named __proto__ is a parameter like any other, not a prototype.
    Object.defineProperty(parameters, key, { value: storableText(value), enumerable: true, writable: true });
  };
  forEachFormField(message.query, message.charset, keep);
  if (message.method === 'POST') forEachFormField(message.body, message.charset, keep);
  return parameters;
}

/**
 * The JSON answer: HTTP 200 unless said otherwise (503 for our own passing trouble). `type` and
 * the result tell the metrics what the request was and how it went.
 */
export function jsonAnswer(answer: KaspiAnswer, type: string | undefined, status?: number): Answer {
  const outcome = status === 503 ? 'error' : answer.result === Result.ok ? 'accepted' : 'refused';
  return { status, contentType: CONTENT_TYPE, body: renderAnswer(answer), type, outcome };
}
