import { FormParams } from '../kit/params.js';
import type { Protocol, ProviderSettings, Refusal } from '../types.js';
import { jsonAnswer, payment } from './payment.js';
import { echoedTxnId, Result } from './protocol.js';
import { simulator } from './simulator.js';

/** The network gives up on a request after this long: a slower account check is no answer. */
const NETWORK_PATIENCE_MS = 15_000;

const REFUSALS: Record<Exclude<Refusal, 'temporary'>, string> = {
  forbidden: 'Source address not allowed',
  unauthorized: 'Unauthorized',
  method: 'Method not allowed: use GET or POST',
  malformed: 'Malformed request',
  forged: 'Forged request',
};

/**
 * Kaspi.kz and the networks that call the same way (Halyk Bank): OSMP-style check, pay and
 * cancel on one endpoint, answered in JSON with Kaspi's own codes. The network sends no
 * credentials: an instance is protected by its allow-list.
 */
export const kaspi: Protocol<ProviderSettings> = {
  name: 'kaspi',
  title: 'Kaspi.kz',
  variables: [],
  migrationsDir: new URL('./migrations/', import.meta.url),
  readSettings: (_env, shared) => shared,
  basicAuth: false,
  requestTypes: ['check', 'pay', 'cancel'],
  endpoints: { '/payment': payment },
  charset: () => 'utf-8',
  refuse(refusal, message) {
    const params = FormParams.of(message);
    const command = params.echo('command');
    const txnId = echoedTxnId(params);
    if (refusal !== 'temporary') return jsonAnswer({ txnId, result: Result.other, comment: REFUSALS[refusal] }, command);
    // Our own failure: HTTP 503 so that the network repeats. A pay or cancel is "in progress"
    // (4); a check has no such code and gets 5, still with the 503.
    const changes = command === 'pay' || command === 'cancel';
    const result = changes ? Result.inProgress : Result.other;
    return jsonAnswer({ txnId, result, comment: 'Temporary error, retry' }, command, 503);
  },
  warnings(settings, variable) {
    if (settings.checkTimeoutMs < NETWORK_PATIENCE_MS) return [];
    return [
      `${variable('CHECK_TIMEOUT_MS')} is ${settings.checkTimeoutMs}: the network gives up on a check after 15 s, keep it well below`,
    ];
  },
  simulator,
  acceptsWebhookStatus: (status) => status >= 200 && status < 300,
};
