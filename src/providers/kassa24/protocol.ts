/**
 * The Kassa24 terminal protocol (the Cyberplat family: `action`, `number`, `amount`, `receipt`,
 * `date`, answered `<response><code/><message/>...`): reading a request and writing the answer.
 * Pure functions; docs/providers/kassa24.md tells the protocol in words.
 */
import { parseAmount } from '../../util/amount.js';
import { escapeXml } from '../kit/answers.js';
import type { Encoding } from '../kit/encoding.js';
import type { FormParams, Value } from '../kit/params.js';

export const Code = {
  ok: 0,
  unknownAction: 1,
  subscriberNotFound: 2,
  wrongAmount: 3,
  wrongReceipt: 4,
  wrongDate: 5,
  notFound: 6,
  cancelled: 7,
  temporary: 8,
  cancelImpossible: 9,
  other: 10,
} as const;

/** Each code's message, in short ASCII; a cancel done says `Cancelled`, code 10 says what was wrong. */
export const MESSAGES: Record<number, string> = {
  [Code.ok]: 'OK',
  [Code.unknownAction]: 'Unknown action',
  [Code.subscriberNotFound]: 'Subscriber not found',
  [Code.wrongAmount]: 'Wrong amount',
  [Code.wrongReceipt]: 'Wrong receipt',
  [Code.wrongDate]: 'Wrong date',
  [Code.notFound]: 'Payment not found',
  [Code.cancelled]: 'Payment cancelled',
  [Code.temporary]: 'Temporary error, retry',
  [Code.cancelImpossible]: 'Cancel impossible',
  [Code.other]: 'Other error',
};

export const ACTIONS = ['check', 'payment', 'status', 'cancel'] as const;
export type Action = (typeof ACTIONS)[number];

/** A check is answered on the number alone; status and cancel name a payment by its receipt. */
export type Kassa24Request =
  | { action: 'check'; number: string }
  | {
      action: 'payment';
      number: string;
      amount: string;
      receipt: string;
      date?: string;
      type?: string;
      commission?: string;
    }
  | { action: 'status'; receipt: string }
  | { action: 'cancel'; receipt: string; mes?: string };

export interface Kassa24Answer {
  code: number;
  message: string;
  /** When the payment was first committed, `YYYY-MM-DDTHH:MM:SS` in MS_TIMEZONE. */
  date?: string;
  /** payrelay's id of the payment. */
  authcode?: string;
}

/** A request, or the final refusal it earns; `action` is the request's own when it named a known one. */
export type Parsed = { request: Kassa24Request } | { refusal: Kassa24Answer; action?: Action };

const RECEIPT = /^[0-9]{1,20}$/;
const MAX_NUMBER_LENGTH = 200;
// C0 and C1 controls, DEL and a byte-order mark are never part of a number typed on a kiosk.
const NOT_IN_NUMBER = /[\u0000-\u001f\u007f-\u009f\ufeff]/;
// What a value kept as sent may not carry: a control character (PostgreSQL text cannot hold NUL).
const CONTROL = /[\u0000-\u001f\u007f]/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})$/;

/** The answer with a code's own message. */
export const answerOf = (code: number, extra: Omit<Kassa24Answer, 'code' | 'message'> = {}): Kassa24Answer => ({
  code,
  message: MESSAGES[code]!,
  ...extra,
});

class Refused {
  constructor(readonly answer: Kassa24Answer) {}
}

/** The request a network sent, or the refusal it earns. Parameters the action does not read are ignored. */
export function parseRequest(params: FormParams): Parsed {
  let action: Action | undefined;
  try {
    const actionValue = params.get('action');
    if ('problem' in actionValue && actionValue.problem === 'twice') throw twice('action');
    action = 'text' in actionValue ? ACTIONS.find((known) => known === actionValue.text) : undefined;
    if (!action) return { refusal: answerOf(Code.unknownAction) };
    return { request: readAction(params, action) };
  } catch (error) {
    if (error instanceof Refused) return { refusal: error.answer, action };
    throw error;
  }
}

function readAction(params: FormParams, action: Action): Kassa24Request {
  switch (action) {
    case 'check':
      return { action, number: readNumber(params) };
    case 'payment': {
      const number = readNumber(params);
      const amount = readAmount(params);
      const receipt = readReceipt(params);
      const date = readDate(params);
      return {
        action,
        number,
        amount,
        receipt,
        date,
        type: readKept(params, 'type'),
        commission: readKept(params, 'commission'),
      };
    }
    case 'status':
      return { action, receipt: readReceipt(params) };
    case 'cancel':
      return { action, receipt: readReceipt(params), mes: readKept(params, 'mes') };
  }
}

/** The value, or the refusal `code` when it is absent or unreadable; twice is code 10 whatever the parameter. */
function required(params: FormParams, name: string, code: number, valid: (text: string) => boolean): string {
  const value = present(params, name);
  if (typeof value !== 'string' || !valid(value)) throw new Refused(answerOf(code));
  return value;
}

/** The value as sent, undefined when absent, null when its bytes cannot be read in the charset. */
function present(params: FormParams, name: string): string | undefined | null {
  const value: Value = params.get(name);
  if ('text' in value) return value.text;
  if (value.problem === 'twice') throw twice(name);
  return value.problem === 'absent' ? undefined : null;
}

const twice = (name: string) => new Refused({ code: Code.other, message: `Parameter ${name} given twice` });

function readNumber(params: FormParams): string {
  return required(params, 'number', Code.subscriberNotFound, isNumber);
}

/** The customer's account as typed: 1 to 200 printable characters, not only spaces, kept verbatim. */
export function isNumber(text: string): boolean {
  return text.trim() !== '' && [...text].length <= MAX_NUMBER_LENGTH && !NOT_IN_NUMBER.test(text);
}

function readReceipt(params: FormParams): string {
  return required(params, 'receipt', Code.wrongReceipt, (text) => RECEIPT.test(text));
}

/** A positive dot decimal with at most two places, as a two-place decimal string. */
function readAmount(params: FormParams): string {
  const amount = parseAmount(required(params, 'amount', Code.wrongAmount, () => true));
  if ('problem' in amount) throw new Refused(answerOf(Code.wrongAmount));
  return amount.amount;
}

/** Optional; when present it must be a real local time, `YYYY-MM-DDTHH:MM:SS`. */
function readDate(params: FormParams): string | undefined {
  const date = present(params, 'date');
  if (date === undefined) return undefined;
  if (date === null || !isRealDate(date)) throw new Refused(answerOf(Code.wrongDate));
  return date;
}

/** `YYYY-MM-DDTHH:MM:SS` naming a second that exists on the calendar (no zone, no fraction, no leap second). */
export function isRealDate(text: string): boolean {
  const match = DATE.exec(text);
  if (!match) return false;
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number) as [number, number, number, number, number, number];
  if (year < 1 || month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!;
  return day <= days;
}

/** A value only kept (type, commission, mes): as sent when present, undefined when absent or empty, refused when unreadable. */
function readKept(params: FormParams, name: string): string | undefined {
  const value = present(params, name);
  if (value === null || (value !== undefined && CONTROL.test(value))) {
    throw new Refused({ code: Code.other, message: `Unreadable ${name}` });
  }
  return value || undefined;
}

/** The answer's bytes: the declaration, then the elements with nothing between them. */
export function renderAnswer(answer: Kassa24Answer, encoding: Encoding): string {
  const element = (tag: string, value: string | number | undefined) =>
    value === undefined ? '' : `<${tag}>${escapeXml(String(value))}</${tag}>`;
  return (
    `<?xml version="1.0" encoding="${encoding === 'utf-8' ? 'UTF-8' : 'windows-1251'}"?><response>` +
    element('code', answer.code) +
    element('message', answer.message) +
    element('date', answer.date) +
    element('authcode', answer.authcode) +
    '</response>'
  );
}

/** The Content-Type the answer is sent with, naming the charset the declaration names. */
export function contentTypeOf(encoding: Encoding): string {
  return `text/xml; charset=${encoding}`;
}
