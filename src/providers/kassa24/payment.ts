/**
 * `/payment`: every action of the network on one endpoint. Whatever happens the network gets
 * the XML answer; a payment is answered code 0 only once it is committed, and every later answer
 * about it repeats the date and authcode stored then.
 */
import { checkAccount } from '../../payments/account-check.js';
import type { StoredPayment } from '../../payments/events.js';
import { formatLocal } from '../../util/time.js';
import type { Encoding } from '../kit/encoding.js';
import type { Answer, IncomingMessage, IntakeContext } from '../types.js';
import { FormParams } from '../kit/params.js';
import {
  type Action,
  answerOf,
  Code,
  contentTypeOf,
  type Kassa24Answer,
  type Kassa24Request,
  parseRequest,
  renderAnswer,
} from './protocol.js';
import type { Kassa24Settings } from './settings.js';

type Context = IntakeContext<Kassa24Settings>;
type Of<A extends Action> = Extract<Kassa24Request, { action: A }>;

/** What a cancel without `mes` is recorded as cancelled for. */
export const NO_REASON = 'cancelled by the network (no mes)';

export async function payment(message: IncomingMessage, context: Context): Promise<Answer> {
  const parsed = parseRequest(FormParams.of(message));
  const { encoding } = context.settings;
  if ('refusal' in parsed) return xmlAnswer(parsed.refusal, encoding, parsed.action);
  const { request } = parsed;
  return xmlAnswer(await answer(request, context), encoding, request.action);
}

function answer(request: Kassa24Request, context: Context): Promise<Kassa24Answer> {
  switch (request.action) {
    case 'check':
      return check(request, context);
    case 'payment':
      return pay(request, context);
    case 'status':
      return status(request, context);
    case 'cancel':
      return cancel(request, context);
  }
}

/** A check records nothing: the merchant's backend says whether the number exists. */
async function check({ number }: Of<'check'>, { settings, log }: Context): Promise<Kassa24Answer> {
  if (!settings.checkUrl) return answerOf(Code.ok);
  const checked = await checkAccount({ url: settings.checkUrl, timeoutMs: settings.checkTimeoutMs, account: number }, log);
  if (checked.outcome === 'exists') return answerOf(Code.ok);
  return answerOf(checked.outcome === 'missing' ? Code.subscriberNotFound : Code.temporary);
}

/** Recorded once per receipt, never checked again (the network checked first); a repeat gets the first answer. */
async function pay(request: Of<'payment'>, { recordPayment, core }: Context): Promise<Kassa24Answer> {
  const outcome = await recordPayment({
    account: request.number,
    code: request.receipt,
    sum: request.amount,
    extra: { network_date: request.date, type: request.type, commission: request.commission },
  });
  if (outcome.kind === 'conflict') return answerOf(Code.wrongReceipt);
  return answerOf(Code.ok, { date: localTime(outcome.createdAt, core.timeZone), authcode: outcome.id });
}

async function status({ receipt }: Of<'status'>, { findPayment, core }: Context): Promise<Kassa24Answer> {
  const payment = await findPayment({ code: receipt });
  if (!payment) return answerOf(Code.notFound);
  const recorded = { date: localTime(payment.created_at, core.timeZone), authcode: payment.id };
  return answerOf(payment.cancelled_at ? Code.cancelled : Code.ok, recorded);
}

/**
 * Marks the payment cancelled and tells the merchant with a `cancel` event, both once: a repeat
 * (also after a failure between the two) finds it cancelled, records the event if it is still
 * missing, and gets the same answer.
 */
async function cancel({ receipt, mes }: Of<'cancel'>, context: Context): Promise<Kassa24Answer> {
  const ref = { code: receipt };
  if (!context.settings.cancels) {
    const payment = await context.findPayment(ref);
    if (!payment) return answerOf(Code.notFound);
    // Cancelled before cancels were forbidden: a repeat of that cancel gets its answer still.
    return payment.cancelled_at ? cancelled(payment) : answerOf(Code.cancelImpossible);
  }
  const outcome = await context.cancelPayment(ref, mes ?? NO_REASON);
  if (outcome.kind === 'missing') return answerOf(Code.notFound);
  const { payment } = outcome;
  await context.recordEvent({
    type: 'cancel',
    idempotencyKey: receipt,
    payment: ref,
    account: payment.account,
    sum: payment.sum,
    payload: { action: 'cancel', receipt, ...(mes === undefined ? {} : { mes }) },
  });
  return cancelled(payment);
}

/** A cancel done: as the network's examples show it, the authcode without the date. */
function cancelled(payment: StoredPayment): Kassa24Answer {
  return { code: Code.ok, message: 'Cancelled', authcode: payment.id };
}

/** `YYYY-MM-DDTHH:MM:SS` of an instant on the deployment's wall clock (MS_TIMEZONE). */
export function localTime(instant: Date, timeZone: string): string {
  return formatLocal(instant, timeZone).replace(' ', 'T');
}

/** The XML answer: HTTP 503 for a temporary error, so that the network asks again; the metrics' type and outcome. */
export function xmlAnswer(answer: Kassa24Answer, encoding: Encoding, action?: string): Answer {
  const outcome = answer.code === Code.ok ? 'accepted' : answer.code === Code.temporary ? 'error' : 'refused';
  return {
    status: answer.code === Code.temporary ? 503 : undefined,
    contentType: contentTypeOf(encoding),
    body: renderAnswer(answer, encoding),
    type: action,
    outcome,
  };
}
