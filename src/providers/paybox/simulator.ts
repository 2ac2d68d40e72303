/**
 * FreedomPay as it calls the merchant's server: each call a POST of `pg_*` fields to its path
 * (`check`, `result`, `refund`, `capture`), signed with the instance's secret key as FreedomPay
 * signs (./signature.ts), with a fresh salt. `pay` is a result with `pg_result=1`. The format is
 * a form by default; `--format` sends the same fields as a GET query, multipart/form-data, a
 * form field `pg_xml` or a raw XML body. Unsigned when the instance has no key, as the gateway
 * then takes them.
 */
import { escapeXml } from '../kit/answers.js';
import { MissingInput, type SimulatedAnswer, type SimulatedRequest, type SimulationInput, type Simulator } from '../simulator.js';
import { freshSalt } from './answer.js';
import { buildTree, formFields } from './form.js';
import type { PayboxSettings } from './settings.js';
import { SIGNATURE, scriptName, signatureOf, signText } from './signature.js';
import { utf8Binary } from './tree.js';

const ACTIONS = ['check', 'pay', 'result', 'refund', 'capture'] as const;
type Action = (typeof ACTIONS)[number];
export const FORMATS = ['form', 'query', 'multipart', 'pg_xml', 'xml'] as const;
type Format = (typeof FORMATS)[number];

const FORM = 'application/x-www-form-urlencoded; charset=utf-8';
/** The multipart boundary the simulator uses (a body's own text never holds it). */
const BOUNDARY = '----payrelay-simulated-boundary';

/** What FreedomPay makes of each pg_status. */
const MEANINGS: Record<string, string> = {
  ok: 'accepted: the payment may go ahead (check), or the call is recorded',
  rejected: 'refused: FreedomPay declines the payment (check)',
  error: 'an error: FreedomPay counts the call as failed',
};

export const simulator: Simulator<PayboxSettings> = {
  actions: ACTIONS,
  // The money is taken: a result whose pg_payment_id is taken is answered ok and kept aside.
  clash: 'accepted',
  eventAction: 'refund',
  options: {
    currency: 'the currency (pg_currency, default KZT)',
    result: 'pg_result of a result: 1 paid (the default), 0 failed, 2 incomplete',
    'refund-id': 'the refund’s own id (pg_refund_id, default the current time)',
    format: `how the fields travel: ${FORMATS.join(', ')} (default form)`,
    salt: 'pg_salt (default a random one)',
  },
  aliases: { amount: 'sum', 'order-id': 'account', 'payment-id': 'txnId' },
  request(base, action, input, settings) {
    if (!(ACTIONS as readonly string[]).includes(action)) throw new Error(`Paybox has no action "${action}"`);
    const format = (input.extra?.format ?? 'form') as Format;
    if (!(FORMATS as readonly string[]).includes(format)) throw new Error(`--format must be one of ${FORMATS.join(', ')}`);
    const url = new URL(action === 'pay' ? 'result' : action, base);
    const fields = signed(scriptName(url.pathname), callFields(action as Action, input, settings), settings);
    return { ...encode(url, fields, format), signed: settings.secretKey !== undefined };
  },
  // The body stays as given, byte for byte, but for its signature: any pg_sig is taken out and
  // the new one goes first, so that whatever ends the body (the contract suite pads it) is signed.
  sign(request, settings) {
    const secret = settings.secretKey;
    if (!secret) return { ...request, signed: false };
    const raw = request.method === 'GET' ? request.url.search.slice(1) : (request.body ?? '');
    const kept = raw
      .split('&')
      .filter((pair) => pair !== '' && formFields(Buffer.from(pair, 'utf8'))[0]?.name !== SIGNATURE)
      .join('&');
    const tree = buildTree(formFields(Buffer.from(kept, 'utf8')), 'utf-8');
    if ('problem' in tree) throw new Error(`cannot sign a body that is not a form: ${tree.problem}`);
    const script = utf8Binary(scriptName(request.url.pathname));
    const all = `${SIGNATURE}=${signatureOf(script, tree.level.nodes, secret)}${kept ? `&${kept}` : ''}`;
    if (request.method === 'GET') {
      const url = new URL(request.url);
      url.search = all;
      return { ...request, url, signed: true };
    }
    return { ...request, body: all, signed: true };
  },
  explain(answer: SimulatedAnswer, action?: string) {
    const field = (tag: string) => new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(answer.body)?.[1];
    const status = field('pg_status');
    // FreedomPay repeats a result, refund or capture until it gets HTTP 200; a check never.
    const temporary = action !== 'check' && answer.status !== 200;
    if (status === undefined) {
      return { lines: [`HTTP ${answer.status} without <pg_status>: not a Paybox answer`], accepted: false, temporary };
    }
    const lines = [`pg_status ${status}: ${MEANINGS[status] ?? 'a status FreedomPay does not know'}`];
    const description = field('pg_description');
    if (description !== undefined) lines.push(`pg_description: ${unescapeXml(description)}`);
    if (temporary) lines.push(`HTTP ${answer.status}: FreedomPay calls again later`);
    lines.push(field(SIGNATURE) === undefined ? 'unsigned (the instance has no secret key)' : 'signed (pg_sig)');
    return { lines, accepted: answer.status === 200 && status === 'ok', temporary };
  },
};

/** The fields of a call as FreedomPay sends them, before the salt and signature. */
function callFields(action: Action, input: SimulationInput, settings: PayboxSettings): Record<string, string> {
  if (!input.account) throw new MissingInput('account');
  if (!input.sum) throw new MissingInput('sum');
  const now = input.now ?? new Date();
  const clock = String(now.getTime());
  const paymentId = input.txnId ?? clock;
  const currency = input.extra?.currency ?? 'KZT';
  const common: Record<string, string> = {
    ...(input.extra?.salt ? { pg_salt: input.extra.salt } : {}),
    ...(settings.merchantId ? { pg_merchant_id: settings.merchantId } : {}),
    pg_order_id: input.account,
    pg_payment_id: paymentId,
    pg_amount: input.sum,
    pg_currency: currency,
    pg_description: `Order ${input.account}`,
    pg_user_phone: '77001234567',
    pg_user_contact_email: 'customer@example.com',
    pg_testing_mode: '1',
  };
  const card = {
    pg_card_pan: '4405-64XX-XXXX-1448',
    pg_card_exp: '12/30',
    pg_card_owner: 'CARD HOLDER',
    pg_card_brand: 'VI',
    pg_auth_code: '123456',
    pg_payment_method: 'bankcard',
  };
  const date = now.toISOString().slice(0, 19).replace('T', ' ');
  switch (action) {
    case 'check':
      return common;
    case 'pay':
    case 'result': {
      const outcome = action === 'pay' ? '1' : (input.extra?.result ?? '1');
      const failure: Record<string, string> =
        outcome === '1' ? {} : { pg_failure_code: '101', pg_failure_description: 'Insufficient funds' };
      const paid = {
        pg_net_amount: input.sum,
        pg_ps_amount: input.sum,
        pg_ps_full_amount: input.sum,
        pg_ps_currency: currency,
      };
      return {
        ...common,
        ...paid,
        ...card,
        pg_result: outcome,
        pg_can_reject: '0',
        pg_captured: '1',
        pg_payment_date: date,
        ...failure,
      };
    }
    case 'refund':
      return {
        ...common,
        pg_refund_id: input.extra?.['refund-id'] ?? String(Number(clock) + 1),
        pg_refund_amount: input.sum,
        pg_refund_date: date,
        pg_refund_type: 'refund',
      };
    case 'capture':
      return { ...common, pg_captured: '1', pg_capture_date: date };
  }
}

/** The fields with a salt of their own (a given one kept) and, with a key, their signature. */
function signed(script: string, fields: Record<string, string>, settings: PayboxSettings): Record<string, string> {
  const salted = { ...fields, pg_salt: fields.pg_salt ?? freshSalt() };
  // The signature first, as sign() puts it.
  return settings.secretKey ? { [SIGNATURE]: signText(script, salted, settings.secretKey), ...salted } : salted;
}

function encode(url: URL, fields: Record<string, string>, format: Format): SimulatedRequest {
  const form = new URLSearchParams(fields).toString();
  switch (format) {
    case 'form':
      return { method: 'POST', url, headers: { 'content-type': FORM }, body: form };
    case 'query': {
      const withQuery = new URL(url);
      withQuery.search = form;
      return { method: 'GET', url: withQuery };
    }
    case 'multipart': {
      const parts = Object.entries(fields).map(
        ([name, value]) => `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`,
      );
      const body = `${parts.join('')}--${BOUNDARY}--\r\n`;
      return { method: 'POST', url, headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` }, body };
    }
    case 'pg_xml':
      return {
        method: 'POST',
        url,
        headers: { 'content-type': FORM },
        body: new URLSearchParams({ pg_xml: xmlOf(fields) }).toString(),
      };
    case 'xml':
      return { method: 'POST', url, headers: { 'content-type': 'text/xml; charset=utf-8' }, body: xmlOf(fields) };
  }
}

function xmlOf(fields: Record<string, string>): string {
  const elements = Object.entries(fields).map(([name, value]) => `<${name}>${escapeXml(value)}</${name}>`);
  return `<?xml version="1.0" encoding="utf-8"?>\n<request>${elements.join('')}</request>`;
}

function unescapeXml(text: string): string {
  return text.replace(
    /&(amp|lt|gt|quot|apos);/g,
    (_, name: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" })[name as 'amp'],
  );
}
