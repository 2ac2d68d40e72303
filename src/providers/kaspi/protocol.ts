/**
 * Kaspi's provider protocol: OSMP-style requests (`command`, `txn_id`, `account`, `sum`) read
 * strictly, and the compact JSON answer with Kaspi's own result codes, keys in a fixed order.
 * Pure functions; docs/providers/kaspi.md tells the protocol in words.
 */
import { parseAmount } from '../../util/amount.js';
import type { FormParams, Value } from '../kit/params.js';
import type { Fields } from '../kit/fields.js';

/** Kaspi's codes, not OSMP's. */
export const Result = {
  ok: 0,
  accountNotFound: 1,
  orderCancelled: 2,
  alreadyPaid: 3,
  /** Our own passing trouble on a pay (or a cancel): sent with HTTP 503, the network repeats. */
  inProgress: 4,
  other: 5,
} as const;

export type KaspiRequest =
  | { command: 'check'; txnId: string; account: string }
  | { command: 'pay'; txnId: string; account: string; sum: string; txnDate?: string }
  /** By payrelay's id, the network's, or both (then they must name the same payment). */
  | { command: 'cancel'; txnId?: string; prvTxn?: string };

/** Values the merchant wants shown to the customer before payment, in order: name and value. */
export type { Fields };

export interface KaspiAnswer {
  /** Echoed as sent, as a JSON string; left out when the request had none. */
  txnId?: string;
  /** payrelay's id of the payment (digits), sent as both `prv_txn_id` and `prv_txn`. */
  prvTxn?: string;
  result: number;
  /** A decimal with two places, written as a JSON number exactly so (`200.00`). */
  sum?: string;
  comment: string;
  fields?: Fields;
}

const TXN_ID = /^[0-9]{1,20}$/;
const PRV_TXN = /^[0-9]{1,20}$/;
const TXN_DATE = /^[0-9]{14}$/;
const MAX_ACCOUNT_CHARACTERS = 200;
// C0 and C1 controls, DEL and a byte-order mark are never part of an account a customer typed.
const NOT_IN_ACCOUNT = /[\u0000-\u001f\u007f-\u009f\ufeff]/;

type Parsed = { request: KaspiRequest } | { refusal: KaspiAnswer };

/** The request's `txn_id` as best it can be read, for echoing; undefined when it sent none. */
export function echoedTxnId(params: FormParams): string | undefined {
  const value = params.get('txn_id');
  return 'problem' in value && value.problem === 'absent' ? undefined : params.echo('txn_id');
}

/**
 * A request, or the final refusal (result 5) it earns. The checks run in the order command,
 * `txn_id`, `account`, `sum`, `txn_date` (a cancel: `txn_id`, `prv_txn`); the first that fails
 * is the answer. A check reads neither `sum` (a dummy) nor `txn_date`; unknown parameters are
 * ignored.
 */
export function parseRequest(params: FormParams): Parsed {
  const refuse = (comment: string): Parsed => ({ refusal: { txnId: echoedTxnId(params), result: Result.other, comment } });
  const command = textOf(params.get('command'));
  if (command !== 'check' && command !== 'pay' && command !== 'cancel') return refuse('Unknown command');
  const txnId = params.get('txn_id');
  if (command === 'cancel') return parseCancel(params, txnId, refuse);
  if (!('text' in txnId) || !TXN_ID.test(txnId.text)) return refuse('Invalid txn_id');
  const account = textOf(params.get('account'));
  if (account === undefined || !isAccount(account)) return refuse('Invalid account');
  if (command === 'check') return { request: { command, txnId: txnId.text, account } };

  const sum = textOf(params.get('sum'));
  const amount = sum === undefined ? undefined : parseAmount(sum);
  if (!amount || !('amount' in amount)) return refuse('Invalid sum');
  const txnDate = params.get('txn_date');
  if ('text' in txnDate ? !TXN_DATE.test(txnDate.text) : txnDate.problem !== 'absent') return refuse('Invalid txn_date');
  const date = 'text' in txnDate ? txnDate.text : undefined;
  return { request: { command, txnId: txnId.text, account, sum: amount.amount, txnDate: date } };
}

function parseCancel(params: FormParams, txnId: Value, refuse: (comment: string) => Parsed): Parsed {
  if ('text' in txnId ? !TXN_ID.test(txnId.text) : txnId.problem !== 'absent') return refuse('Invalid txn_id');
  const prvTxn = params.get('prv_txn');
  if ('text' in prvTxn ? !PRV_TXN.test(prvTxn.text) : prvTxn.problem !== 'absent') return refuse('Invalid prv_txn');
  const byCode = textOf(txnId);
  const byId = textOf(prvTxn);
  if (byCode === undefined && byId === undefined) return refuse('Missing prv_txn or txn_id');
  return { request: { command: 'cancel', txnId: byCode, prvTxn: byId } };
}

const textOf = (value: Value) => ('text' in value ? value.text : undefined);

/** 1 to 200 characters, not only spaces, no control character: kept exactly as sent. */
function isAccount(account: string): boolean {
  if (NOT_IN_ACCOUNT.test(account) || !account.trim()) return false;
  // Counted in characters, not UTF-16 units: an emoji is one.
  return account.length <= MAX_ACCOUNT_CHARACTERS || [...account].length <= MAX_ACCOUNT_CHARACTERS;
}

/**
 * What a 4xx of the merchant's account check means to Kaspi: 410 the order is cancelled, 409 it
 * is paid already, any other the account does not exist.
 */
export function backendRefusal(status: number | undefined): Pick<KaspiAnswer, 'result' | 'comment'> {
  if (status === 410) return { result: Result.orderCancelled, comment: 'Order cancelled' };
  if (status === 409) return { result: Result.alreadyPaid, comment: 'Order already paid' };
  return { result: Result.accountNotFound, comment: 'Account not found' };
}

const DIGITS = /^[0-9]+$/;
const TWO_PLACES = /^[0-9]+\.[0-9]{2}$/;

/**
 * Compact JSON, keys always in this order: txn_id, prv_txn_id, prv_txn, result, sum, comment,
 * fields. Written by hand because JSON.stringify would write the sum `200.00` as `200`.
 */
export function renderAnswer(answer: KaspiAnswer): string {
  let body = '{';
  if (answer.txnId !== undefined) body += `"txn_id":${JSON.stringify(answer.txnId)},`;
  if (answer.prvTxn !== undefined) {
    if (!DIGITS.test(answer.prvTxn)) throw new Error(`prv_txn must be digits, got ${JSON.stringify(answer.prvTxn)}`);
    body += `"prv_txn_id":${answer.prvTxn},"prv_txn":${answer.prvTxn},`;
  }
  body += `"result":${answer.result}`;
  if (answer.sum !== undefined) {
    if (!TWO_PLACES.test(answer.sum)) throw new Error(`sum must have two decimals, got ${JSON.stringify(answer.sum)}`);
    body += `,"sum":${answer.sum}`;
  }
  body += `,"comment":${JSON.stringify(answer.comment)}`;
  if (answer.fields?.length) body += `,"fields":{${answer.fields.map(renderField).join(',')}}`;
  return `${body}}`;
}

function renderField([name, value]: [string, string], index: number): string {
  return `"field${index + 1}":{"@name":${JSON.stringify(name)},"#text":${JSON.stringify(value)}}`;
}
