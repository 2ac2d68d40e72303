/**
 * A Kassa24 terminal as it calls: a GET of /payment with the action's fields in the query string,
 * percent-escaped in the instance's encoding, unsigned (the network authenticates with Basic
 * credentials, added by whoever sends the request).
 */
import { formatLocal } from '../../util/time.js';
import type { Encoding } from '../kit/encoding.js';
import { MissingInput, type SimulatedAnswer, type Simulator } from '../simulator.js';
import { Code } from './protocol.js';
import type { Kassa24Settings } from './settings.js';

/** `pay` is what the contract suite and the bench play; the network's own word is `payment`. */
const ACTIONS = ['check', 'pay', 'payment', 'status', 'cancel'] as const;

/** The network's clock: its terminals send their local time, Kazakhstan's. */
const NETWORK_TIME_ZONE = 'Asia/Almaty';

/** What each code means to the network (docs/providers/kassa24.md, from its side). */
const MEANINGS: Record<number, string> = {
  [Code.ok]: 'OK',
  [Code.unknownAction]: 'unknown action',
  [Code.subscriberNotFound]: 'subscriber not found (your account check answered 4xx, or the number is missing or invalid)',
  [Code.wrongAmount]: 'wrong amount',
  [Code.wrongReceipt]: 'wrong receipt (missing, not 1 to 20 digits, or already used with another number or amount)',
  [Code.wrongDate]: 'wrong date',
  [Code.notFound]: 'payment not found',
  [Code.cancelled]: 'payment cancelled',
  [Code.temporary]: 'temporary error: the network will repeat the request later',
  [Code.cancelImpossible]: 'cancel impossible: this deployment forbids cancels',
  [Code.other]: 'other error (see the message); final',
};

/** What code 0 says, by the action it answers. */
const OK_BY_ACTION: Record<string, string> = {
  check: 'OK: the number exists',
  pay: 'OK: the payment is recorded',
  payment: 'OK: the payment is recorded',
  status: 'OK: the payment is recorded and not cancelled',
  cancel: 'OK: the payment is cancelled',
};

export const simulator: Simulator<Kassa24Settings> = {
  actions: ACTIONS,
  options: {
    date: 'the terminal’s local time of a payment, YYYY-MM-DDTHH:MM:SS (default: now in Kazakhstan)',
    type: 'the payment type the terminal reports (payment)',
    commission: 'the payer’s fee, kept apart from the sum (payment)',
    mes: 'the reason of a cancel, 1 to 5 (cancel)',
  },
  aliases: { number: 'account', amount: 'sum', receipt: 'txnId' },
  clash: 'refused',
  eventAction: 'cancel',
  request(base, action, input, settings) {
    if (!(ACTIONS as readonly string[]).includes(action)) throw new Error(`Kassa24 has no action "${action}"`);
    const now = input.now ?? new Date();
    const extra = input.extra ?? {};
    let fields: [string, string | undefined][];
    if (action === 'check') {
      if (!input.account) throw new MissingInput('account');
      fields = [
        ['action', 'check'],
        ['number', input.account],
      ];
    } else if (action === 'pay' || action === 'payment') {
      if (!input.account) throw new MissingInput('account');
      if (!input.sum) throw new MissingInput('sum');
      fields = [
        ['action', 'payment'],
        ['number', input.account],
        ['amount', input.sum],
        // A receipt of the current time's digits: distinct for every run of a person at a terminal.
        ['receipt', input.txnId ?? String(now.getTime())],
        ['date', extra.date ?? formatLocal(now, NETWORK_TIME_ZONE).replace(' ', 'T')],
        ['type', extra.type],
        ['commission', extra.commission],
      ];
    } else {
      if (!input.txnId) throw new MissingInput('txnId');
      fields = [
        ['action', action],
        ['receipt', input.txnId],
        ['mes', action === 'cancel' ? extra.mes : undefined],
      ];
    }
    return { method: 'GET', url: new URL(`payment?${encodeQuery(fields, settings.encoding ?? 'utf-8')}`, base) };
  },
  explain(answer: SimulatedAnswer, action?: string) {
    const field = (tag: string) => new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(answer.body)?.[1];
    const code = field('code');
    if (code === undefined || !/^\d+$/.test(code)) {
      return { lines: ['no <code> in the answer: not a Kassa24 response'], accepted: false, temporary: false };
    }
    const known = Number(code);
    const meaning = (known === Code.ok && action ? OK_BY_ACTION[action] : undefined) ?? MEANINGS[known];
    const lines = [`code ${code}: ${meaning ?? 'a code payrelay does not give'}`];
    for (const tag of ['message', 'date', 'authcode']) {
      const value = field(tag);
      if (value !== undefined) lines.push(`${tag}: ${unescapeXml(value)}`);
    }
    // Code 8 is the one the network asks again on; every other is final.
    return { lines, accepted: known === Code.ok, temporary: known === Code.temporary };
  },
};

/**
 * `name=value&...` with the values' bytes in the encoding, percent-escaped as a form is but for the
 * colon (a date reads as the network writes it); undefined ones left out.
 */
export function encodeQuery(fields: [string, string | undefined][], encoding: Encoding): string {
  return fields
    .filter((field): field is [string, string] => field[1] !== undefined)
    .map(([name, value]) => `${name}=${escapeBytes(encode(value, encoding))}`)
    .join('&');
}

function escapeBytes(bytes: Uint8Array): string {
  let text = '';
  for (const byte of bytes) {
    const char = String.fromCharCode(byte);
    text += /[A-Za-z0-9*\-._:~]/.test(char) ? char : byte === 0x20 ? '+' : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return text;
}

/** Windows-1251 by the platform's own decoder, read backwards: each character of the upper half, its byte. */
let cp1251: Map<string, number> | undefined;

function encode(text: string, encoding: Encoding): Uint8Array {
  if (encoding === 'utf-8') return Buffer.from(text, 'utf8');
  if (!cp1251) {
    const decoder = new TextDecoder('windows-1251');
    cp1251 = new Map(Array.from({ length: 128 }, (_, i) => [decoder.decode(Uint8Array.of(0x80 + i)), 0x80 + i]));
  }
  return Uint8Array.from([...text], (char) => {
    const code = char.codePointAt(0)!;
    const byte = code < 0x80 ? code : cp1251!.get(char);
    if (byte === undefined) throw new Error(`"${char}" cannot be written in Windows-1251`);
    return byte;
  });
}

function unescapeXml(text: string): string {
  return text.replace(
    /&(amp|lt|gt|quot|apos);/g,
    (_, name: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" })[name as 'amp'],
  );
}
