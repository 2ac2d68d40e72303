/**
 * The toy protocol: a network that POSTs JSON. `/check` and `/pay` send `{"id","account","sum"}`
 * (a pay may add a `note`), `/cancel` sends `{"id","reason"}`; every answer is
 * `{"status":"ok"|"refused"|"retry","id":...}`. It lives in the test tree as the running example
 * of docs/adding-a-provider.md, and passes the contract suite (test/contract.db.test.ts).
 */
import { checkAccount } from '../../src/payments/account-check.js';
import { answerJson } from '../../src/providers/kit/answers.js';
import type { Answer, Endpoint, IncomingMessage, Protocol, Refusal } from '../../src/providers/types.js';
import { parseAmount } from '../../src/util/amount.js';
import { readToySettings, type ToySettings, VARIABLES } from './settings.js';
import { simulator } from './simulator.js';

type Status = 'ok' | 'refused' | 'retry';

/** The answer, and for the metrics what the request was and how it went. */
function answer(status: Status, id: unknown, type?: string, extra: Record<string, string> = {}): Answer {
  const outcome = status === 'ok' ? 'accepted' : status === 'retry' ? 'error' : 'refused';
  return answerJson({ status, id: typeof id === 'string' ? id : null, ...extra }, { type, outcome });
}

/** The request's JSON object, or undefined when the body is not one. */
function read(message: IncomingMessage): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(message.body.toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

const text = (value: unknown) => (typeof value === 'string' && value.trim() ? value : undefined);

/** A check records nothing: with `<NAME>_CHECK_URL` set, the merchant's backend says whether the account exists. */
const check: Endpoint<ToySettings> = async (message, { settings, log }) => {
  const fields = read(message);
  const account = text(fields?.account);
  if (!account) return answer('refused', fields?.id, 'check', { reason: 'no account' });
  if (settings.checkUrl) {
    const details = { sum: text(fields?.sum), id: text(fields?.id) };
    const checked = await checkAccount({ url: settings.checkUrl, timeoutMs: settings.checkTimeoutMs, account, details }, log);
    if (checked.outcome === 'missing') return answer('refused', fields?.id, 'check', { reason: 'no such account' });
    if (checked.outcome === 'unavailable') return answer('retry', fields?.id, 'check');
  }
  return answer('ok', fields?.id, 'check', { greeting: settings.greeting });
};

/** A pay is recorded once per id: a repeat is answered ok again, the same id with another account or sum is refused. */
const pay: Endpoint<ToySettings> = async (message, { recordPayment }) => {
  const fields = read(message);
  const id = text(fields?.id);
  const account = text(fields?.account);
  const sum = parseAmount(text(fields?.sum));
  if (!id || !account || 'problem' in sum) {
    return answer('refused', fields?.id, 'pay', { reason: 'id, account and sum are required' });
  }
  // A database failure throws: the intake answers refuse('temporary'), and the network retries.
  const outcome = await recordPayment({ account, code: id, sum: sum.amount, extra: { note: text(fields?.note) } });
  if (outcome.kind === 'conflict') return answer('refused', id, 'pay', { reason: 'id already used for another payment' });
  return answer('ok', id, 'pay');
};

/** A cancel marks the payment cancelled and tells the merchant with a `cancel` event, once. */
const cancel: Endpoint<ToySettings> = async (message, { cancelPayment, recordEvent }) => {
  const fields = read(message);
  const id = text(fields?.id);
  if (!id) return answer('refused', fields?.id, 'cancel', { reason: 'no id' });
  const reason = text(fields?.reason) ?? 'cancelled by the network';
  const outcome = await cancelPayment({ code: id }, reason);
  if (outcome.kind === 'missing') return answer('refused', id, 'cancel', { reason: 'no such payment' });
  const { payment } = outcome;
  await recordEvent({
    type: 'cancel',
    idempotencyKey: id,
    payment: { code: id },
    account: payment.account,
    sum: payment.sum,
    payload: { id, reason },
  });
  return answer('ok', id, 'cancel');
};

/** Every refusal the intake makes for us, in the toy's words: only our own failure asks for a retry. */
const REFUSALS: Record<Refusal, Status> = {
  forbidden: 'refused',
  unauthorized: 'refused',
  method: 'refused',
  malformed: 'refused',
  forged: 'refused',
  temporary: 'retry',
};

export const toy: Protocol<ToySettings> = {
  name: 'toy',
  title: 'Toy network',
  variables: VARIABLES,
  migrationsDir: new URL('./migrations/', import.meta.url),
  readSettings: readToySettings,
  requestTypes: ['check', 'pay', 'cancel'],
  endpoints: { '/check': check, '/pay': pay, '/cancel': cancel },
  charset: () => 'utf-8',
  // Before authentication there is no body to read: the id is then null.
  refuse: (refusal, message) => answer(REFUSALS[refusal], read(message)?.id, undefined, { reason: refusal }),
  simulator,
  acceptsWebhookStatus: (status) => status >= 200 && status < 300,
};
