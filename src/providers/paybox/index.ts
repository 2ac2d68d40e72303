import type { Protocol, Refusal } from '../types.js';
import { endpoints } from './endpoints.js';
import { exchangeOf, knownExchange, proven, type Reply, reply } from './exchange.js';
import { PAGE_PATH, payPage } from './page.js';
import { type PayboxSettings, readPayboxSettings, VARIABLES } from './settings.js';
import { scriptName } from './signature.js';
import { simulator } from './simulator.js';

/** Every refusal the intake makes, in FreedomPay's words: `error`, and HTTP 503 for ours, so that it comes back. */
const REFUSALS: Record<Refusal, Reply> = {
  forbidden: { status: 'error', description: 'source address not allowed' },
  unauthorized: { status: 'error', description: 'unauthorized' },
  method: { status: 'error', description: 'method not allowed: use GET or POST' },
  malformed: { status: 'error', description: 'malformed request' },
  forged: { status: 'error', description: 'invalid signature' },
  temporary: { status: 'error', description: 'temporary error, try again later', httpStatus: 503, outcome: 'error' },
};

const SCRIPTS = new Set(Object.keys(endpoints).map((path) => path.slice(1)));

/**
 * Paybox (FreedomPay): card and wallet payments on FreedomPay's page, reported by signed `pg_*`
 * calls (check, result, refund, capture), answered with signed XML; and the link that sends a
 * customer to that page.
 */
export const paybox: Protocol<PayboxSettings> = {
  name: 'paybox',
  title: 'Paybox (FreedomPay)',
  variables: VARIABLES,
  migrationsDir: new URL('./migrations/', import.meta.url),
  readSettings: readPayboxSettings,
  // FreedomPay sends no credentials: its signature is what proves a call (and an allow-list, if set).
  basicAuth: false,
  requestTypes: ['check', 'pay', 'result', 'failure', 'refund', 'capture'],
  endpoints,
  charset: () => 'utf-8',
  // A saved card's token and a recurring profile charge the card again (with the merchant's key).
  secretFields: ['pg_card_token', 'pg_recurring_profile_id'],
  verifies: (settings) => settings.secretKey !== undefined,
  verify: (message, settings) => proven(exchangeOf(message, settings)),
  refuse(refusal: Refusal, message, settings) {
    // Every refusal is signed with the instance's key: with the request's salt when the signature
    // hook has seen it prove itself, else (an address, a method, a body too large) a fresh one.
    const exchange = knownExchange(message) ?? { settings, script: scriptName(message.url), signed: false };
    const { script } = exchange;
    return reply(exchange, { ...REFUSALS[refusal], type: SCRIPTS.has(script) ? script : undefined });
  },
  pages: payPage,
  pagePaths: [PAGE_PATH],
  warnings(settings, variable) {
    const warnings: string[] = [];
    if (!settings.secretKey) {
      warnings.push(
        `no ${variable('SECRET_KEY')}: FreedomPay's calls cannot be verified (its signature is their only proof, it sends no credentials), answers go unsigned, which FreedomPay does not accept, and ${PAGE_PATH} answers 400`,
      );
    }
    if (!settings.merchantId)
      warnings.push(
        `no ${variable('MERCHANT_ID')}: calls are not checked for the merchant they name, and ${PAGE_PATH} answers 400`,
      );
    if (!settings.publicUrl)
      warnings.push(`no ${variable('PUBLIC_URL')}: ${PAGE_PATH} answers 400 (it must tell FreedomPay where to call)`);
    else if (settings.redirectHosts.length === 0) {
      warnings.push(
        `${variable('REDIRECT_HOSTS')} is not set: ${PAGE_PATH} refuses every success_url and fail_url until it names the hosts`,
      );
    }
    return warnings;
  },
  simulator,
  acceptsWebhookStatus: (status) => status >= 200 && status < 300,
};
