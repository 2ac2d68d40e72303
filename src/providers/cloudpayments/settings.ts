import type { EnvReader } from '../../config/index.js';
import { ConfigError } from '../../config/index.js';
import { readProviderSettings, type ProviderSettings } from '../types.js';

export interface CloudPaymentsSettings extends ProviderSettings {
  /** The site's Public ID, for the card page's widget. */
  publicId?: string;
  /** The site's API Secret: notifications must be signed with it when set. */
  apiSecret?: string;
  /** Charset of notification bodies that do not name one in Content-Type. */
  encoding: 'utf-8' | 'windows-1251';
  /** Where notifications other than Check and Pay are delivered (refunds, cancels, receipts...). */
  eventsWebhookUrl?: URL;
  /** Hosts (`host` or `host:port`) the card page may redirect to; empty allows no redirect at all. */
  redirectHosts: string[];
}

export function readCloudPaymentsSettings(env: EnvReader): CloudPaymentsSettings {
  return {
    ...readProviderSettings(env, 'CLOUDPAYMENTS'),
    // CloudPayments declines a payment whose Check is not answered within 30 s: stay well under.
    checkTimeoutMs: env.int('CLOUDPAYMENTS_CHECK_TIMEOUT_MS', 10_000, 1, 25_000),
    publicId: env.string('CLOUDPAYMENTS_PUBLIC_ID'),
    eventsWebhookUrl: env.url('CLOUDPAYMENTS_EVENTS_WEBHOOK_URL'),
    apiSecret: env.secret('CLOUDPAYMENTS_API_SECRET'),
    encoding: readEncoding(env),
    redirectHosts: readRedirectHosts(env),
  };
}

/**
 * Each entry as the URL parser spells a host (`host` or `host:port`, punycode for Cyrillic
 * names), so the card page compares like with like. A typo stops start-up rather than silently
 * allowing nothing.
 */
function readRedirectHosts(env: EnvReader): string[] {
  const entries = (env.string('CLOUDPAYMENTS_REDIRECT_HOSTS') ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  return entries.map((entry) => {
    let url: URL | undefined;
    try {
      url = new URL(entry.includes('://') ? entry : `http://${entry}`);
    } catch {
      url = undefined;
    }
    if (url?.pathname !== '/' || url.search || url.username) {
      throw new ConfigError('CLOUDPAYMENTS_REDIRECT_HOSTS', `has "${entry}", which is not a host name (like shop.example.com)`);
    }
    return url.port ? `${url.hostname}:${url.port}` : url.hostname;
  });
}

function readEncoding(env: EnvReader): CloudPaymentsSettings['encoding'] {
  const raw = env.string('CLOUDPAYMENTS_ENCODING');
  if (raw === undefined) return 'utf-8';
  const name = raw.toLowerCase().replace(/[\s_-]/g, '');
  if (name === 'utf8') return 'utf-8';
  if (name === 'windows1251' || name === 'cp1251') return 'windows-1251';
  throw new ConfigError('CLOUDPAYMENTS_ENCODING', `must be UTF8 or Windows1251, got "${raw}"`);
}
