import { checkAccount } from '../../payments/account-check.js';
import { answerXml } from '../kit/answers.js';
import { fieldsOf } from '../kit/fields.js';
import type { Answer, IncomingMessage, IntakeContext } from '../types.js';
import { FormParams } from '../kit/params.js';
import { parseRequest, type QiwiAnswer, type QiwiRequest, Result, renderAnswer } from './protocol.js';
import type { QiwiSettings } from './settings.js';

type Context = IntakeContext<QiwiSettings>;
type Check = Extract<QiwiRequest, { command: 'check' }>;
type Pay = Extract<QiwiRequest, { command: 'pay' }>;

/** `/payment`: check (or getInfo) and pay. Whatever happens the network gets the XML answer. */
export async function payment(message: IncomingMessage, context: Context): Promise<Answer> {
  const params = FormParams.of(message);
  const parsed = parseRequest(params);
  if ('refusal' in parsed) return xmlAnswer(parsed.refusal, params.echo('command'));
  const { request } = parsed;
  return xmlAnswer(request.command === 'check' ? await check(request, context) : await pay(request, context), request.command);
}

/** A check registers nothing: it is answered on the account alone. */
async function check(qiwi: Check, { settings, log }: Context): Promise<QiwiAnswer> {
  const base = { txnId: qiwi.txnId ?? '', sum: qiwi.sum };
  if (!settings.checkUrl) return { ...base, result: Result.ok, comment: 'OK' };
  const details = { sum: qiwi.sum, txn_id: qiwi.txnId };
  const answer = await checkAccount(
    { url: settings.checkUrl, timeoutMs: settings.checkTimeoutMs, account: qiwi.account, details },
    log,
  );
  if (answer.outcome === 'exists') return { ...base, result: Result.ok, comment: 'OK', fields: fieldsOf(answer.body) };
  if (answer.outcome === 'missing') return { ...base, result: Result.accountNotFound, comment: 'account not found' };
  return { ...base, result: Result.temporary, comment: 'account check unavailable, try again later' };
}

async function pay(qiwi: Pay, { recordPayment }: Context): Promise<QiwiAnswer> {
  const outcome = await recordPayment({
    account: qiwi.account,
    code: qiwi.txnId,
    sum: qiwi.sum,
    extra: { txn_date: qiwi.txnDate, ccy: qiwi.ccy },
  });
  if (outcome.kind === 'conflict') {
    return { txnId: qiwi.txnId, sum: qiwi.sum, result: Result.other, comment: 'txn_id already used for another payment' };
  }
  return { txnId: qiwi.txnId, prvTxn: outcome.id, sum: qiwi.sum, result: Result.ok, comment: 'OK' };
}

/** The XML answer; `command` and the result tell the metrics what it was and how it went. */
export function xmlAnswer(answer: QiwiAnswer, command?: string): Answer {
  const outcome = answer.result === Result.ok ? 'accepted' : answer.result === Result.temporary ? 'error' : 'refused';
  return answerXml(renderAnswer(answer), { type: command, outcome });
}
