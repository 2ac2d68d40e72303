import { ENCODING_VARIABLE } from '../kit/encoding.js';
import type { Protocol, Refusal } from '../types.js';
import { FormParams } from '../kit/params.js';
import { payment, xmlAnswer } from './payment.js';
import { Result } from './protocol.js';
import { type QiwiSettings, readQiwiSettings } from './settings.js';
import { simulator } from './simulator.js';

const REFUSALS: Record<Refusal, [number, string]> = {
  forbidden: [Result.other, 'source address not allowed'],
  unauthorized: [Result.other, 'unauthorized'],
  method: [Result.other, 'method not allowed: use GET or POST'],
  malformed: [Result.other, 'malformed request'],
  forged: [Result.other, 'forged request'],
  temporary: [Result.temporary, 'temporary error, try again later'],
};

/** QIWI-protocol terminal networks (cash at a kiosk): check and pay on one endpoint. */
export const qiwi: Protocol<QiwiSettings> = {
  name: 'qiwi',
  title: 'QIWI terminals',
  variables: [ENCODING_VARIABLE],
  replacedVariables: {
    CHECK_URL: 'the same: asked on QIWI `command=check`',
    WEBHOOK_URL: 'the same: each new payment is POSTed there, any 2xx accepts',
  },
  migrationsDir: new URL('./migrations/', import.meta.url),
  readSettings: readQiwiSettings,
  rootPaths: ['/payment'],
  requestTypes: ['check', 'pay'],
  endpoints: { '/payment': payment },
  charset: (settings) => settings.encoding,
  refuse(refusal, message) {
    const [result, comment] = REFUSALS[refusal];
    const params = FormParams.of(message);
    return xmlAnswer({ txnId: params.echo('txn_id'), result, comment }, params.echo('command'));
  },
  simulator,
  acceptsWebhookStatus: (status) => status >= 200 && status < 300,
};
