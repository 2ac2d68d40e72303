import type { Provider, Refusal } from '../types.js';
import { QiwiParams } from './params.js';
import { payment, xmlAnswer } from './payment.js';
import { Result } from './protocol.js';
import { type QiwiSettings, readQiwiSettings } from './settings.js';

const REFUSALS: Record<Refusal, [number, string]> = {
  forbidden: [Result.other, 'source address not allowed'],
  unauthorized: [Result.other, 'unauthorized'],
  method: [Result.other, 'method not allowed: use GET or POST'],
  malformed: [Result.other, 'malformed request'],
  forged: [Result.other, 'forged request'],
  temporary: [Result.temporary, 'temporary error, try again later'],
};

/** QIWI-protocol terminal networks (cash at a kiosk): check and pay on one endpoint. */
export const qiwi: Provider<QiwiSettings> = {
  name: 'qiwi',
  title: 'QIWI terminals',
  migrationsDir: new URL('./migrations/', import.meta.url),
  readSettings: readQiwiSettings,
  rootPaths: ['/payment'],
  requestTypes: ['check', 'pay'],
  endpoints: { '/payment': payment },
  charset: (settings) => settings.encoding,
  refuse(refusal, message) {
    const [result, comment] = REFUSALS[refusal];
    const params = new QiwiParams(message);
    return xmlAnswer({ txnId: params.echo('txn_id'), result, comment }, params.echo('command'));
  },
  warnings(settings) {
    const warnings: string[] = [];
    if (!settings.webhookUrl) warnings.push('QIWI_WEBHOOK_URL is not set: payments are kept at status 0 until it is');
    if (!settings.checkUrl) warnings.push('QIWI_CHECK_URL is not set: every account is accepted on check');
    return warnings;
  },
  acceptsWebhookStatus: (status) => status >= 200 && status < 300,
};
