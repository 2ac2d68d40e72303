/**
 * One call and its answer. The message is read and its signature checked once, by the intake's
 * `verify` hook, and kept with the request (its headers object is the same for the hook, the
 * endpoint and a later refusal), so that the endpoint reads the same fields and even a refusal
 * after the check (a database failure) is signed with the instance's key and the request's salt.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { NotificationOutcome } from '../../metrics/counters.js';
import { answerXml } from '../kit/answers.js';
import type { Answer, IncomingMessage } from '../types.js';
import { echoable, freshSalt, renderAnswer, type Status } from './answer.js';
import { type Fields, readFields } from './message.js';
import type { PayboxSettings } from './settings.js';
import { SIGNATURE, scriptName, signatureMatches, signatureOf } from './signature.js';

export interface Exchange {
  settings: PayboxSettings;
  /** The path's last segment, as sent: what both signatures name. */
  script: string;
  fields?: Fields;
  /** Why the message could not be read. */
  problem?: string;
  /** Its signature is right (false without a key to check it with). */
  signed: boolean;
}

/**
 * Where a request's exchange is kept: a symbol-keyed, non-enumerable property of its headers
 * object, which no header listing, log row or JSON sees. (A WeakMap did the same at the price of
 * an ephemeron per request for the garbage collector: a tenth of a pay's cost under load.)
 */
const EXCHANGE = Symbol('paybox exchange');
type Carrier = IncomingHttpHeaders & { [EXCHANGE]?: Exchange };

/** The message read and checked, the first time for a request; the same result after. */
export function exchangeOf(message: IncomingMessage, settings: PayboxSettings): Exchange {
  const known = (message.headers as Carrier)[EXCHANGE];
  if (known) return known;
  const script = scriptName(message.url);
  const read = readFields(message);
  const fields = 'fields' in read ? read.fields : undefined;
  const { secretKey } = settings;
  const signed =
    secretKey !== undefined &&
    fields !== undefined &&
    signatureMatches(fields.text(SIGNATURE), signatureOf(script, fields.nodes, secretKey));
  const exchange = { settings, script, fields, problem: 'problem' in read ? read.problem : undefined, signed };
  Object.defineProperty(message.headers, EXCHANGE, { value: exchange, enumerable: false });
  return exchange;
}

/** A refusal's exchange: only one the hook has seen (a refusal before it has no key to sign with). */
export function knownExchange(message: IncomingMessage): Exchange | undefined {
  return (message.headers as Carrier)[EXCHANGE];
}

/** Whether the message proved who sent it, as far as the instance can tell. */
export function proven(exchange: Exchange): boolean {
  return exchange.signed || exchange.settings.secretKey === undefined;
}

export interface Reply {
  status: Status;
  description: string;
  /** For the metrics: the request's type, and how it went (from the status when unsaid). */
  type?: string;
  outcome?: NotificationOutcome;
  httpStatus?: number;
}

const OUTCOME: Record<Status, NotificationOutcome> = { ok: 'accepted', rejected: 'refused', error: 'refused' };

/** The signed XML answer, with the request's salt when it proved itself. */
export function reply(exchange: Exchange | undefined, { status, description, type, outcome, httpStatus }: Reply): Answer {
  const salt = exchange && proven(exchange) ? exchange.fields?.text('pg_salt') : undefined;
  const body = renderAnswer({
    script: exchange?.script ?? '',
    status,
    description,
    salt: echoable(salt) ? salt : freshSalt(),
    secret: exchange?.settings.secretKey,
  });
  return answerXml(body, { status: httpStatus, type, outcome: outcome ?? OUTCOME[status] });
}
